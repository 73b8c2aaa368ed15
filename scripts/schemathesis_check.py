"""Schemathesis against `ltci serve` on a fresh demo, once per role: zero 5xx, zero schema violations.

Builds a throw-away platform in a temporary folder (SQLite, `ltci migrate`, `ltci demo` for one region),
serves it on a free loopback port, logs in through the login page as each role (session cookie and
CSRF token, as a browser would), and runs `st run` against /api/openapi.json with the checks that
matter here: no response is a server error, every response body matches the schema it is declared
with. Prints, per role, the operations, requests, 5xx responses and schema violations, and exits 1
if any role had a 5xx, a violation or an error of Schemathesis' own (2 if the run could not be set
up).

    python scripts/schemathesis_check.py [--roles clerk,institution_admin] [--max-examples 3]
    scripts/with-postgresql.sh sh -c '.venv/bin/python scripts/schemathesis_check.py --database-url "$DATABASE_URL"'


Run by scripts/schemathesis-check.sh (CI stage `Schemathesis` of .ci/run).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEMO_PASSWORD = "ltci-demo-2026"  # the demo accounts' password (ltci/settings.py), valid in demo mode
CHECKS = ("not_a_server_error", "response_schema_conformance")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ltci(env: dict, *args: str, log) -> None:
    subprocess.run([sys.executable, "-m", "ltci.cli", *args], cwd=ROOT, env=env, check=True, stdout=log,
                   stderr=subprocess.STDOUT)


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ltci serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"ltci serve did not answer /healthz in {seconds:.0f} s")


def login(port: int, username: str) -> dict[str, str]:
    """The cookies a browser holds after logging in through the login page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://{HOST}:{port}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": DEMO_PASSWORD,
                                   "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(f"http://{HOST}:{port}/login/", data=form,
                                       headers={"Referer": f"http://{HOST}:{port}/login/"}), timeout=30)
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"could not log in as {username}")
    return cookies


def schemathesis(port: int, cookies: dict[str, str], report: Path, args) -> subprocess.Popen:
    """Starts `st run` for one role; its counts are read from the NDJSON events when it is done."""
    st = Path(sys.executable).with_name("st")
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    command = [
        str(st), "--config-file", str(ROOT / "scripts" / "schemathesis.toml"),
        "run", f"http://{HOST}:{port}/api/openapi.json",
        "--checks", ",".join(CHECKS), "--max-examples", str(args.max_examples), "--seed", str(args.seed),
        "--phases", "examples,coverage,fuzzing",
        # One worker per role, the roles side by side: hypothesis describing strategies in several
        # threads at once trips CPython 3.11's "AST constructor recursion depth mismatch".
        "--workers", "1", "--no-shrink",
        "--request-timeout", "30", "--suppress-health-check", "all", "--warnings", "off",
        "--header", f"Cookie: {cookie}", "--header", f"X-CSRFToken: {cookies['csrftoken']}",
        "--report", "ndjson", "--report-ndjson-path", str(report), "--output-truncate", "true",
    ]
    return subprocess.Popen(command, cwd=report.parent, stdout=open(report.with_suffix(".log"), "w"),
                            stderr=subprocess.STDOUT)


def count_events(report: Path) -> dict:
    """Operations, requests, 5xx responses and schema violations, from Schemathesis' NDJSON events."""
    operations, requests, server_errors, violations, failures = set(), 0, 0, 0, {}
    errors = []  # Schemathesis could not test an operation (its own error): the run proves less
    for line in report.read_text().splitlines():
        event = json.loads(line)
        if "NonFatalError" in event or "FatalError" in event:
            error = event.get("NonFatalError") or event.get("FatalError")
            errors.append(f"{error.get('label', '')}: {error.get('value', {}).get('type')} "
                          f"{error.get('value', {}).get('message', '')}".strip())
        if "ScenarioFinished" not in event:
            continue
        finished = event["ScenarioFinished"]
        label = (finished.get("recorder") or {}).get("label")
        if label:
            operations.add(label)
        for interaction in (finished.get("recorder") or {}).get("interactions", {}).values():
            response = interaction.get("response")
            if response is None:
                continue
            requests += 1
            if response["status_code"] >= 500:
                server_errors += 1
        for check_list in (finished.get("recorder") or {}).get("checks", {}).values():
            for check in check_list:
                if check.get("status") != "failure":
                    continue
                if check["name"] == "response_schema_conformance":
                    violations += 1
                failure = (check.get("failure_info") or {}).get("failure") or {}
                what = f"{label}: {failure.get('code', '')} {failure.get('title') or check['name']}"
                failures[what] = failures.get(what, 0) + 1
    return {"operations": len(operations), "requests": requests, "server_errors": server_errors,
            "violations": violations, "failures": failures, "errors": errors}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--roles", default="clerk,institution_admin", help="demo roles, comma-separated")
    p.add_argument("--region", default="xuzhou")
    p.add_argument("--insured", type=int, default=30, help="demo insured people")
    p.add_argument("--max-examples", type=int, default=3, help="test cases per operation in the fuzzing phase")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--database-url", default="",
                   help="an empty database to build the demo in (default: SQLite in the temporary folder); "
                        "e.g. under scripts/with-postgresql.sh: --database-url \"$DATABASE_URL\"")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs, reports)")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ltci-schemathesis-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTCI_", "DATABASE_URL", "DJANGO_"))}
    env.update(LTCI_VAR_DIR=str(work / "var"), LTCI_DEMO="1", LTCI_JOBS_BACKGROUND="0",
               DATABASE_URL=args.database_url or f"sqlite:///{work / 'var' / 'ltci.sqlite3'}", PYTHONPATH=str(ROOT))
    server = None
    results = {}
    try:
        with open(work / "setup.log", "w") as log:
            ltci(env, "migrate", "--noinput", "--verbosity", "0", log=log)
            ltci(env, "demo", "--region", args.region, "--insured", str(args.insured), "--seed", "1", log=log)
        port = free_port()
        server_log = open(work / "serve.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen([sys.executable, "-m", "ltci.cli", "serve", "--host", HOST, "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=server_log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        wait_healthy(port, server)
        started = time.monotonic()
        runs = {role: schemathesis(port, login(port, f"{args.region}.{role}"), work / f"{role}.ndjson", args)
                for role in args.roles.split(",")}
        for role, run in runs.items():
            run.wait()
            report = work / f"{role}.ndjson"
            results[role] = {**count_events(report), "seconds": round(time.monotonic() - started, 1),
                             "exit": run.returncode, "output": report.with_suffix(".log").read_text()}
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"schemathesis check: could not run: {exc} (logs in {work})", file=sys.stderr)
        args.keep = True
        return 2
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    failed = False
    for role, r in results.items():
        print(f"{role}: {r['operations']} operations, {r['requests']} requests, {r['server_errors']} 5xx, "
              f"{r['violations']} schema violations ({r['seconds']} s)")
        for what, n in sorted(r["failures"].items()):
            print(f"  {n:>4} × {what}")
        for what in r["errors"]:
            print(f"  error: {what}")
        if r["server_errors"] or r["violations"] or r["failures"] or r["errors"] or r["exit"] not in (0, 1):
            failed = True
        if r["exit"] not in (0, 1) or (r["exit"] == 1 and not r["failures"]):
            print(r["output"][-3000:], file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps({role: {k: v for k, v in r.items() if k != "output"} for role, r in results.items()},
                         ensure_ascii=False, indent=1))
    if args.keep:
        print(f"kept {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
