"""Backing the database up and restoring it (`ltci backup DIR`, `ltci restore FILE`).

SQLite: SQLite's online backup API copies a consistent snapshot of the live database (WAL: the
server's writers are not held up) into `DIR/ltci-<YYYYmmdd-HHMMSS>.sqlite3`, a self-contained file
whose `PRAGMA integrity_check` is run before it counts as written. PostgreSQL: `pg_dump
--format=custom` into `DIR/ltci-<stamp>.dump`, from a snapshot exported by a transaction that also
counts the rows, so that the counts and the dump describe the same moment.

Each backup has a sidecar manifest `<file>.json`: when, which database kind, the migrations applied,
the rows of every table and the file's sha256. A restore refuses a file whose sha256 does not match
its manifest, refuses a target database that already holds data (unless forced, naming the tables
that hold rows), restores, and then compares every table's rows with the manifest.

Both are recorded on the audit trail: the backup on the backed-up database (after the copy, so the
file does not hold its own record), the restore on the restored one (after the comparison), which
then shows, in its own hash chain, that it was restored and from which file. They are recorded as
an export (导出: every row leaves the database) and a bulk import (批量导入) of the object type
`database`, so that the trail's actions need no migration.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connections
from django.utils import timezone

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
FORMAT = 1  # the manifest's format

# What `ltci migrate` itself puts into a new database: Django's bookkeeping, the regions and
# reference data synced after every migrate, and the audit trail of that sync. A database with rows
# in these tables only is empty as far as restoring goes (a new server: migrate, then restore).
FILLED_BY_MIGRATE = frozenset({
    "django_migrations", "django_content_type", "auth_permission",
    "regions_region", "regions_policyversion", "providers_catalogueitem",
    "audit_auditevent", "audit_link", "audit_chainhead",
})


class BackupError(Exception):
    """A refusal or failure, in words for the operator (Chinese)."""


@dataclass
class Outcome:
    path: Path
    manifest: dict
    seconds: float
    mismatches: list[str] = field(default_factory=list)  # restore: tables whose rows differ from the manifest


# --------------------------------------------------------------------------------------------
# Counting rows on a DB-API connection (the copy, the snapshot, the restored database)
# --------------------------------------------------------------------------------------------

def tables(raw, vendor: str) -> list[str]:
    cur = raw.cursor()
    if vendor == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in cur.fetchall()]


def row_counts(raw, vendor: str) -> dict[str, int]:
    """Rows of every table of the database (its current schema on PostgreSQL)."""
    cur = raw.cursor()
    counts = {}
    for table in tables(raw, vendor):
        cur.execute('SELECT count(*) FROM "%s"' % table.replace('"', '""'))
        counts[table] = cur.fetchone()[0]
    return counts


def applied_migrations(raw) -> list[str]:
    cur = raw.cursor()
    try:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    except Exception:  # no table: nothing migrated
        return []
    return [f"{app}.{name}" for app, name in cur.fetchall()]


def in_use(counts: dict[str, int]) -> dict[str, int]:
    """The tables that hold data beyond what migrate puts into a new database."""
    return {t: n for t, n in counts.items() if n and t not in FILLED_BY_MIGRATE}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


def _free_name(directory: Path, suffix: str) -> Path:
    path = directory / f"ltci-{_stamp()}{suffix}"
    n = 1
    while path.exists() or manifest_path(path).exists():  # two backups within one second
        n += 1
        path = directory / f"ltci-{_stamp()}-{n}{suffix}"
    return path


def _write_manifest(path: Path, manifest: dict) -> None:
    target = manifest_path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, target)


# --------------------------------------------------------------------------------------------
# Backing up
# --------------------------------------------------------------------------------------------

def backup(directory, *, using: str = "default") -> Outcome:
    """Writes a backup of the database into `directory` (made if missing) with its manifest."""
    started = time.perf_counter()
    directory = Path(directory)
    connection = connections[using]
    if connection.in_atomic_block:  # SQLite's backup would wait forever for the caller's own write lock
        raise BackupError("不能在事务中备份数据库")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path, manifest = _backup_by_vendor(connection, directory)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"备份失败：{exc}") from exc
    manifest["sha256"] = sha256(path)
    manifest["bytes"] = path.stat().st_size
    _write_manifest(path, manifest)
    return Outcome(path, manifest, time.perf_counter() - started)


def _backup_by_vendor(connection, directory: Path) -> tuple[Path, dict]:
    if connection.vendor == "sqlite":
        path, manifest = _backup_sqlite(connection, directory)
    elif connection.vendor == "postgresql":
        path, manifest = _backup_postgresql(connection, directory)
    else:
        raise BackupError(f"不支持备份 {connection.vendor} 数据库（仅支持 SQLite 与 PostgreSQL）")
    return path, manifest


def _manifest(vendor: str, raw, counts: dict[str, int], **extra) -> dict:
    return {"format": FORMAT, "made_at": timezone.localtime().isoformat(timespec="seconds"), "vendor": vendor,
            "migrations": applied_migrations(raw), "tables": counts, "rows": sum(counts.values()), **extra}


def _backup_sqlite(connection, directory: Path) -> tuple[Path, dict]:
    path = _free_name(directory, ".sqlite3")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        # One step: the whole copy is one read transaction on the live database, a consistent snapshot.
        # In WAL mode writers go on meanwhile; the copy is what was committed when it began.
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problems = [row[0] for row in target.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise BackupError(f"备份副本完整性检查未通过：{'; '.join(problems[:5])}")
        manifest = _manifest("sqlite", target, row_counts(target, "sqlite"),
                             sqlite_version=sqlite3.sqlite_version)
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    os.replace(partial, path)
    return path, manifest


# --- PostgreSQL's client programs -----------------------------------------------------------

def _server_major(raw) -> int:
    cur = raw.cursor()
    cur.execute("SHOW server_version_num")
    return int(cur.fetchone()[0]) // 10000


def _program_major(program: str) -> int | None:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def pg_program(name: str, server_major: int) -> str:
    """pg_dump or pg_restore of the server's major version (Debian keeps each version's in
    /usr/lib/postgresql/<major>/bin; /usr/bin's wrapper may pick another), else a newer one on PATH."""
    exact = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    if os.access(exact, os.X_OK):
        return str(exact)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    on_path = shutil.which(name)
    for candidate in [*(str(c) for c in candidates), *([on_path] if on_path else [])]:
        major = _program_major(candidate)
        if major is not None and major >= server_major:
            return candidate
    raise BackupError(f"找不到与 PostgreSQL {server_major} 服务器版本相符的 {name}"
                      f"（请安装 postgresql-client-{server_major}）")


def pg_environment(settings_dict: dict) -> dict[str, str]:
    """The connection of a Django database for libpq's programs: in the environment, the password
    too, never on a command line (which other users of the machine can read)."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    values = {"PGDATABASE": settings_dict.get("NAME"), "PGUSER": settings_dict.get("USER"),
              "PGPASSWORD": settings_dict.get("PASSWORD"), "PGHOST": settings_dict.get("HOST"),
              "PGPORT": settings_dict.get("PORT"), "PGSSLMODE": options.get("sslmode"),
              "PGSSLROOTCERT": options.get("sslrootcert"), "PGSSLCERT": options.get("sslcert"),
              "PGSSLKEY": options.get("sslkey"), "PGAPPNAME": "ltci-backup"}
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{what}失败（{Path(command[0]).name} 退出码 {result.returncode}）：" + " / ".join(detail))


def _backup_postgresql(connection, directory: Path) -> tuple[Path, dict]:
    path = _free_name(directory, ".dump")
    partial = path.with_name(path.name + ".partial")
    # A connection of its own: a transaction that exports its snapshot, counts the rows in it and stays
    # open while pg_dump dumps that same snapshot.
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = False
        cur = raw.cursor()
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
        major = _server_major(raw)
        counts = row_counts(raw, "postgresql")
        manifest = _manifest("postgresql", raw, counts, server_major=major)
        program = pg_program("pg_dump", major)
        try:
            _run([program, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                 pg_environment(connection.settings_dict), "pg_dump 备份")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        raw.rollback()
    finally:
        raw.close()
    os.replace(partial, path)
    manifest["pg_dump"] = program
    return path, manifest


# --------------------------------------------------------------------------------------------
# Restoring
# --------------------------------------------------------------------------------------------

def kind_of(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} 不是本平台的备份文件（既非 SQLite 数据库，也非 pg_dump 自定义格式）")


def read_manifest(path: Path) -> dict:
    """The file's manifest, once the file is what the manifest says it is (sha256)."""
    mpath = manifest_path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    if not mpath.is_file():
        raise BackupError(f"缺少备份清单 {mpath.name}：无法核对备份文件是否完整，拒绝恢复")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
        manifest["tables"], manifest["vendor"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"备份清单 {mpath.name} 无法读取：{exc}") from None
    actual = sha256(path)
    if actual != expected:
        raise BackupError(f"备份文件 {path.name} 的 SHA-256 与清单不符（文件 {actual[:16]}…，清单 {expected[:16]}…）："
                          "文件已损坏或被改动，拒绝恢复")
    kind = kind_of(path)
    if kind != manifest["vendor"]:
        raise BackupError(f"备份文件是 {kind} 格式，清单却写着 {manifest['vendor']}，拒绝恢复")
    return manifest


def target_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    connection.ensure_connection()
    return row_counts(connection.connection, connection.vendor)


def restore(path, *, force: bool = False, using: str = "default") -> Outcome:
    """Restores the backup `path` into the configured database, then compares the rows with its manifest."""
    started = time.perf_counter()
    path = Path(path)
    manifest = read_manifest(path)
    connection = connections[using]
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"这是 {manifest['vendor']} 的备份，而配置的数据库是 {connection.vendor}："
                          "同类数据库之间才能恢复")
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复数据库")
    used = in_use(target_counts(using))
    if used and not force:
        listed = "、".join(f"{t}（{n} 行）" for t, n in sorted(used.items(), key=lambda kv: -kv[1])[:10])
        more = f" 等 {len(used)} 张表" if len(used) > 10 else ""
        raise BackupError(f"目标数据库已有数据：{listed}{more}。恢复会覆盖这些数据；确需覆盖请加 --force。未做任何改动")
    try:
        if connection.vendor == "sqlite":
            _restore_sqlite(connection, path)
        else:
            _restore_postgresql(connection, path)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"恢复失败：{exc}") from exc
    connection.close()  # the next query sees the restored database afresh
    counts = target_counts(using)
    expected = manifest["tables"]
    mismatches = [f"{t}：备份 {expected.get(t, '无此表')}，恢复后 {counts.get(t, '无此表')}"
                  for t in sorted(set(expected) | set(counts)) if expected.get(t) != counts.get(t)]
    return Outcome(path, manifest, time.perf_counter() - started, mismatches)


def _restore_sqlite(connection, path: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # Page by page into the configured database under its write lock: other connections wait
        # (busy_timeout) and then see the restored database whole.
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgresql(connection, path: Path) -> None:
    connection.ensure_connection()
    major = _server_major(connection.connection)
    program = pg_program("pg_restore", major)
    connection.close()  # pg_restore drops and recreates the tables: no session of ours holds them
    # One transaction: a failure leaves the database as it was. --clean --if-exists drops what the
    # dump holds first (a migrated database's tables); --no-owner: the restoring role owns the tables.
    _run([program, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          f"--dbname={connection.settings_dict['NAME']}", str(path)],
         pg_environment(connection.settings_dict), "pg_restore 恢复")


def migration_gap(manifest: dict) -> tuple[list[str], list[str]]:
    """(migrations of this code the backup lacks, migrations of the backup this code does not know)."""
    from django.db.migrations.loader import MigrationLoader

    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    held = set(manifest.get("migrations", []))
    return sorted(known - held), sorted(held - known)


def describe(manifest: dict) -> str:
    made = manifest.get("made_at", "?")
    try:
        made = datetime.fromisoformat(made).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        pass
    return (f"{made} 的 {manifest.get('vendor')} 备份：{len(manifest.get('tables', {}))} 张表、"
            f"{manifest.get('rows', sum(manifest.get('tables', {}).values()))} 行，"
            f"迁移 {len(manifest.get('migrations', []))} 个")
