"""The visits bench of `make bench` (bench/visits.py) in small: 30 carers over 3 s against `ltci serve`
on loopback, then the burst. The bench builds its own SQLite file (WAL) whatever database the suite
uses, so it runs the same under `make test-postgresql`."""

import socket

import pytest

from bench import visits


def test_thirty_carers_check_in_and_out_without_an_error_and_the_server_is_stopped(tmp_path):
    result = visits.run(30, 3, tmp_path, threads=4, pause=(0.2, 1.0), timeout=20, progress=lambda text: None)

    assert [p.name for p in result.phases] == ["window", "burst"]
    for phase in result.phases:
        assert [s.error for s in phase.errors] == []
        assert sorted(s.kind for s in phase.samples) == ["checkin"] * 30 + ["checkout"] * 30
        assert all(200 <= s.status < 300 for s in phase.samples)
    assert result.check["ok"], result.check["problems"]
    assert result.check["visits"] == 60
    assert all(p == {"visits": 30, "carers": 30, "checked_out": 30, "carers_twice": 0}
               for p in result.check["phases"].values())
    lines = visits.report(result)
    assert lines[0].startswith("SQLite WAL, 30 carers, 4 threads") and "no duplicates" in lines[-1]
    # The server is gone, and with it its port.
    assert result.server_exit is not None
    with socket.socket() as s:
        assert s.connect_ex((visits.HOST, result.port)) != 0


def test_a_run_that_fails_midway_stops_its_server(tmp_path, monkeypatch):
    servers = []
    start = visits.Server.__init__

    def noted(self, *args, **kwargs):
        start(self, *args, **kwargs)
        servers.append(self)

    async def dropped(self, *args, **kwargs):
        raise ConnectionError("the phones lost the network")

    monkeypatch.setattr(visits.Server, "__init__", noted)
    monkeypatch.setattr(visits.Phones, "window", dropped)
    with pytest.raises(ConnectionError, match="lost the network"):
        visits.run(2, 1, tmp_path, threads=2, progress=lambda text: None)
    assert len(servers) == 1 and servers[0].proc.poll() is not None


def test_on_postgresql_two_processes_and_two_workers_serve_the_carers_without_an_error(tmp_path):
    """As CI runs it at full size (.ci/run): the server's processes share the port and the sessions."""
    import os

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs a PostgreSQL server (make test-postgresql)")
    result = visits.run(30, 3, tmp_path, threads=4, pause=(0.2, 1.0), timeout=20, progress=lambda text: None,
                        database_url=url, processes=2, workers=2)
    assert all(not p.errors for p in result.phases) and result.check["ok"], result.check["problems"]
    assert result.check["visits"] == 60
    assert visits.report(result)[0].startswith("PostgreSQL, 30 carers, 2 processes × 4 threads, 2 workers")
    assert result.server_exit is not None
