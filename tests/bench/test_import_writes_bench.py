"""The import bench of `make bench` (bench/import_writes.py) in small: during a roster import on
SQLite, a clerk logs in again and again and another writer takes the write lock; none fails and
the writer never waits for more than about a second (the import holds the lock a chunk at a time).
The bench builds its own SQLite file whatever database the suite uses."""

from bench import import_writes


def test_logins_and_writes_go_on_during_a_roster_import(tmp_path):
    result = import_writes.run(60_000, tmp_path, progress=lambda text: None)

    assert "全部导入" in result.import_status
    assert result.logins.seconds and result.logins.failures == []
    assert len(result.probe.seconds) >= 5 and result.probe.failures == []
    # The lock is held a chunk (2,000 rows) at a time, not for the whole import (15 s and more here):
    # a bound well under the import's length, not a speed target (make bench measures the waits), so
    # that a machine busy with other work (CI beside a benchmark: 2.9 s seen) does not fail it.
    assert max(result.probe.seconds) < min(5.0, result.import_seconds / 2), result.lines()
