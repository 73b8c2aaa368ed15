"""Serving with several processes (`ltci serve --processes N`, PostgreSQL only): the parent binds the
port once and forks N children that each serve it with waitress's threads; the kernel hands each new
connection to one of them. The parent restarts a child that dies and, on SIGINT or SIGTERM, stops
them all. Everything a request needs from before lives in the database (sessions, login limits,
job progress, the schedule), so which process answers makes no difference. Decision 0026."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time

log = logging.getLogger(__name__)
RESTART_PAUSE = 1.0  # seconds before a dead child is replaced (a child that dies at once would spin)


def _serve_child(sock: socket.socket, options: dict) -> None:
    """A child: default signals (SIGTERM ends it), fresh database connections, then waitress."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from django.db import connections
    from waitress import serve

    from ltci.wsgi import application

    connections.close_all()  # never share the parent's connections
    try:
        serve(application, sockets=[sock], **options)
    finally:
        os._exit(0)


def serve_processes(host: str, port: int, processes: int, options: dict, out=sys.stdout) -> int:
    """Runs `processes` children serving host:port until stopped; returns the exit status."""
    from django.db import connections

    sock = socket.create_server((host, port), backlog=1024)
    sock.set_inheritable(True)
    connections.close_all()  # before forking: a connection must not be shared by processes
    children: dict[int, int] = {}  # pid -> slot
    stopping = False

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            _serve_child(sock, options)
        children[pid] = slot

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for slot in range(processes):
        start(slot)
    out.write(f"ltci serving on http://{host}:{port}/ with {processes} processes "
              f"({', '.join(str(p) for p in children)}; Ctrl-C stops)\n")
    out.flush()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        slot = children.pop(pid, None)
        if slot is not None and not stopping:
            log.error("serving process %s ended (status %s): starting another", pid, status)
            time.sleep(RESTART_PAUSE)
            if not stopping:
                start(slot)
    sock.close()
    return 0
