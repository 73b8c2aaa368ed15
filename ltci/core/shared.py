"""Figures every serving process gives alike, made once: kept in the database's cache table (the
`shared` cache), so that a second process finds what the first made, and made by one thread of a
process while the others that ask for the same wait for it (docs/decisions/0027: 20 clerks asking
for a city's disclosure report at once each summed a year's million postings, 22 s)."""

from __future__ import annotations

import threading
from collections import defaultdict

from django.core.cache import caches

DAY = 24 * 3600
_making: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_guard = threading.Lock()


def once(key: str, make, timeout: int = DAY):
    """The value kept under `key`, made by `make()` and kept if there is none."""
    shared = caches["shared"]
    value = shared.get(key)
    if value is not None:
        return value
    with _guard:
        lock = _making[key]
    with lock:
        value = shared.get(key)  # made meanwhile by another thread, or another process
        if value is None:
            value = make()
            shared.set(key, value, timeout)
    return value
