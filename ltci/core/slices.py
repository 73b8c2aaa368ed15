"""Row-by-row imports that answer at once (events from other departments, discovery lists): the file
is read to its end before anything is written, then its rows are written in short transactions, each
with the audit event of what it wrote.

On SQLite a transaction holds the one writer's lock, so a city's file written in one would stop every
login behind it; a slice of a quarter second never does. On PostgreSQL the whole is one transaction.
A row's own refusal is reported and changes nothing (the callers keep each row in a savepoint).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction

from . import jobs
from .stage import dumps, loads
from .tabular import Column, read_table

WRITE_SLICE = 0.25  # seconds of writing per transaction


def read_whole(path: Path, columns: tuple[Column, ...]) -> Iterator[tuple[int, dict]]:
    """The file's rows, read to the end first (into a temporary file): a file that cannot be read,
    wherever it breaks, is refused (ValidationError) before any row is written."""
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")
    try:
        for number, values in read_table(Path(path), columns):
            spool.write(dumps([number, values]) + "\n")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def rows():
        with spool:
            for line in spool:
                number, values = loads(line)
                yield number, values

    return rows()


def in_slices(rows: Iterator[tuple[int, dict]], handle: Callable[[int, dict], None],
              trace: Callable[[int | None, int | None], None]) -> None:
    """`handle(number, values)` for every row, as many rows per transaction as fit in WRITE_SLICE;
    `trace(first, last)` writes, in the same transaction, the audit event of the rows it holds (once,
    with no rows, for a file that has none)."""
    rows = iter(rows)
    traced = False
    with jobs.chunked_writes():
        while True:
            with transaction.atomic():
                started, first, last = time.monotonic(), None, None
                for number, values in rows:
                    first = number if first is None else first
                    last = number
                    handle(number, values)
                    if time.monotonic() - started > WRITE_SLICE:
                        break
                if first is None and traced:
                    break
                trace(first, last)
                traced = True
                if first is None:
                    break
