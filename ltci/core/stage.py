"""The working files of a long job: the changes it has checked and will write, one line per chunk,
and its report lines. They live in the job's own folder (0700) until the job ends, so that a job
whose process died while writing is finished from them on the next start, and memory never holds
more than a chunk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings


def _encode(value):
    if isinstance(value, Decimal):
        return {"$m": str(value)}
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    raise TypeError(f"cannot stage {type(value).__name__}")


def _decode(obj: dict):
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key == "$m":
            return Decimal(value)
        if key == "$d":
            return date.fromisoformat(value)
        if key == "$t":
            return datetime.fromisoformat(value)
    return obj


def dumps(value) -> str:
    return json.dumps(value, default=_encode, ensure_ascii=False)


def loads(line: str):
    return json.loads(line, object_hook=_decode)


class Stage:
    def __init__(self, job_id: int):
        self.dir = Path(settings.VAR_DIR) / "jobs" / str(job_id)
        self.ops_path = self.dir / "changes.jsonl"
        self.report_path = self.dir / "report.jsonl"

    def exists(self) -> bool:
        return self.ops_path.exists() and self.report_path.exists()

    def create(self) -> Stage:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in (self.ops_path, self.report_path):
            path.write_text("")
            path.chmod(0o600)
        return self

    def writer(self):
        return self.ops_path.open("a", encoding="utf-8")

    def chunks(self, start: int = 0) -> Iterator[tuple[int, object]]:
        """(index, changes) of every chunk from `start` on."""
        with self.ops_path.open(encoding="utf-8") as fh:
            for index, line in enumerate(fh):
                if index >= start:
                    yield index, loads(line)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
