"""`ltci serve --processes N`: PostgreSQL only; the children share the port and the database's
sessions, a child that dies is replaced, and SIGTERM stops them all."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def test_several_processes_are_refused_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's refusal")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("serve", "--processes", "2")


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or ""
    where = f"@{host}" if host and not host.startswith("/") else "@"
    query = f"?host={host}" if host.startswith("/") else ""
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    port = f":{s['PORT']}" if s.get("PORT") and where != "@" else ""
    return f"postgres://{auth}{where}{port}/{s['NAME']}{query}"


def test_two_processes_share_the_port_and_the_sessions_and_a_dead_one_is_replaced(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("several processes serve PostgreSQL only")
    from ltci.accounts.roles import Role
    from tests.conftest import PASSWORD

    clerk = world["home"].users[Role.CLERK]
    clerk.set_password(PASSWORD)
    clerk.save()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "LTCI_DEMO": "0", "LTCI_LOG_FORMAT": "plain"}
    server = subprocess.Popen([sys.executable, "-m", "ltci.cli", "serve", "--port", str(port), "--processes", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        assert len(_children(server.pid)) == 2
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(base + "/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        opener.open(urllib.request.Request(base + "/login/", data=urlencode(
            {"csrfmiddlewaretoken": token, "username": clerk.username, "password": PASSWORD}).encode(),
            headers={"Referer": base + "/login/"}))
        # Each request a new connection: the kernel spreads them over both processes; the session holds.
        for _ in range(12):
            assert "您好" in opener.open(base + "/").read().decode()
        victim = sorted(_children(server.pid))[0]
        os.kill(victim, signal.SIGKILL)
        for _ in range(40):
            time.sleep(0.25)
            now = _children(server.pid)
            if len(now) == 2 and victim not in now:
                break
        assert len(_children(server.pid)) == 2 and victim not in _children(server.pid)
        assert "您好" in opener.open(base + "/").read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0 and _children(server.pid) == set()
