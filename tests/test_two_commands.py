"""The README's two commands on a clean copy of the repository: `make run` (cold, then warm) and `make test`.

The copy holds exactly the files git would clone (tracked, plus new files not ignored), so a
missing install step fails here. It builds its own .venv and assets; pip's and npm's caches make
that take about a minute.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.clean_clone,
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="set-up is database-independent; run once, on SQLite"),
    pytest.mark.skipif(shutil.which("make") is None or shutil.which("npm") is None, reason="needs make and npm"),
]


def clean_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("LTCI_", "DATABASE_URL", "DJANGO_", "PYTEST_", "VIRTUAL_ENV"))}


def start_run(repo: Path, port: int, log: Path):
    return subprocess.Popen(["make", "run", f"PORT={port}", "DEMO_INSURED=40"], cwd=repo, env=clean_env(),
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(port: int, proc, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"make run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not become healthy in time")


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def test_make_run_cold_and_warm_then_make_test(tmp_path):
    repo = clean_copy(tmp_path / "ltci")
    port = free_port()
    log = tmp_path / "run.log"
    proc = start_run(repo, port, log)
    try:
        cold = wait_healthy(port, proc, timeout=900)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
            assert "登录" in r.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/htmx.min.js", timeout=5) as r:
            assert r.status == 200
    finally:
        stop(proc)
    output = log.read_text()
    assert "Demo logins" in output and "xuzhou.clerk" in output and "changning.auditor" in output
    for region in ("nanzheng", "xuzhou", "nanning", "jiaxing", "changning"):
        assert f"demo {region}: institutions 4, insured 40" in output

    proc = start_run(repo, port, log)
    try:
        warm = wait_healthy(port, proc, timeout=120)
    finally:
        stop(proc)
    assert "skipped (already loaded)" in log.read_text()
    assert warm < 30, f"warm start took {warm:.1f} s"
    print(f"\nmake run: cold {cold:.1f} s, warm {warm:.1f} s")

    result = subprocess.run(["make", "test", "PYTEST_ARGS=-q tests/policy tests/regions"], cwd=repo,
                            env=clean_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
