"""`ltci backup DIR` and `ltci restore FILE` (issue 17): a database with settled months, backed up and
restored elsewhere, is the same database: every table's rows, the books (`ltci ledger check`) and
the audit trail's chain (`ltci audit verify`). Restoring over data needs --force; a file that does
not match its manifest is refused.

On SQLite the test database is backed up and restored into another SQLite file; on PostgreSQL
(scripts/with-postgresql.sh) into a second database made for the test and dropped after it. The
restore, the books check and the trail check run as an operator runs them: `ltci` in its own
process, DATABASE_URL naming the restored database."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ltci.audit.chain import verify
from ltci.audit.models import Action, AuditEvent
from ltci.core import backup

ROOT = Path(__file__).resolve().parents[2]
AUDIT_GROWS = {"audit_auditevent", "audit_link"}  # the restore's own event and its link


def counts() -> dict[str, int]:
    return backup.target_counts()


def ltci(*args, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTCI_", "DATABASE_URL", "DJANGO_"))}
    env.update(DATABASE_URL=database_url, LTCI_VAR_DIR=str(tmp_path / "var"), LTCI_SECRET_KEY="test-" + "k" * 60)
    return subprocess.run([sys.executable, "-m", "ltci.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


class Elsewhere:
    """A second database for the restore: a SQLite file, or a PostgreSQL database of the same cluster."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.path = tmp_path / "restored.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"{self.settings['NAME']}_restored_{os.getpid()}"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                cursor.execute(f'CREATE DATABASE "{self.name}"')
            s = self.settings
            auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
            host = quote(s["HOST"] or "", safe="") + (f":{s['PORT']}" if s["PORT"] else "")
            self.url = f"postgres://{auth}@{host}/{self.name}"

    def ltci(self, *args):
        return ltci(*args, database_url=self.url, tmp_path=self.tmp_path)

    def counts(self) -> dict[str, int]:
        if connection.vendor == "sqlite":
            raw = sqlite3.connect(self.path)
        else:
            import psycopg

            s = self.settings
            raw = psycopg.connect(dbname=self.name, user=s["USER"] or None, password=s["PASSWORD"] or None,
                                  host=s["HOST"] or None, port=s["PORT"] or None)
        try:
            return backup.row_counts(raw, connection.vendor)
        finally:
            raw.close()

    def drop(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def elsewhere(transactional_db, tmp_path):
    place = Elsewhere(tmp_path)
    yield place
    place.drop()


@pytest.fixture
def settled(transactional_db, settings):
    """The demo of one region (committed: the backup reads it from another connection), which settles
    two months and books them."""
    settings.DEMO_MODE = True
    call_command("demo", region=["xuzhou"], insured=60, seed=2026, stdout=open(os.devnull, "w"))
    from ltci.settlement.models import Claim

    assert Claim.objects.filter(region="xuzhou").values("month").distinct().count() >= 2
    return "xuzhou"


def test_a_backup_of_settled_months_restores_elsewhere_whole(settled, elsewhere, tmp_path, capsys):
    before = counts()
    started = time.perf_counter()
    call_command("backup", str(tmp_path / "backups"))
    backed_up = time.perf_counter() - started
    out = capsys.readouterr().out
    files = [p for p in (tmp_path / "backups").iterdir() if not p.name.endswith(".json")]
    assert len(files) == 1 and str(files[0]) in out
    file = files[0]
    assert file.name.startswith("ltci-") and file.suffix == (".sqlite3" if connection.vendor == "sqlite" else ".dump")
    manifest = json.loads(backup.manifest_path(file).read_text(encoding="utf-8"))
    assert manifest["vendor"] == connection.vendor and manifest["sha256"] == backup.sha256(file)
    assert manifest["tables"] == before  # the rows of the moment of the backup, every table
    assert "settlement.0001_initial" in manifest["migrations"]
    assert manifest["tables"]["fund_journal"] > 0 and manifest["tables"]["settlement_claim"] > 0
    # The backup is on the backed-up database's trail, which still verifies.
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_id, event.actor_name) == (Action.EXPORT, file.name, "数据库备份（命令行）")
    assert event.detail["sha256"] == manifest["sha256"]
    assert verify().ok

    started = time.perf_counter()
    restored = elsewhere.ltci("restore", str(file))
    restore_took = time.perf_counter() - started
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "行数与备份清单一致" in restored.stdout

    after = elsewhere.counts()
    assert set(after) == set(before)
    assert {t: n for t, n in after.items() if t not in AUDIT_GROWS} == {
        t: n for t, n in before.items() if t not in AUDIT_GROWS}
    assert {t: after[t] - before[t] for t in AUDIT_GROWS} == {t: 1 for t in AUDIT_GROWS}

    books = elsewhere.ltci("ledger", "check")
    assert books.returncode == 0, books.stdout + books.stderr
    assert "徐州" in books.stdout and "核对通过" in books.stdout and "审计日志完整" in books.stdout
    trail = elsewhere.ltci("audit", "verify")
    assert trail.returncode == 0, trail.stdout + trail.stderr
    assert f"核验 {before['audit_auditevent'] + 1} 条事件" in trail.stdout

    # Again onto the restored database, which now holds data: refused without --force, nothing changed.
    again = elsewhere.ltci("restore", str(file))
    assert again.returncode != 0 and "--force" in again.stderr and "fund_journal" in again.stderr
    assert elsewhere.counts() == after
    forced = elsewhere.ltci("restore", str(file), "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert elsewhere.counts() == after  # the backup's rows again, and one restore event on the trail
    assert elsewhere.ltci("audit", "verify").returncode == 0
    with capsys.disabled():
        print(f"\n[{connection.vendor}] backup {backed_up:.2f} s in process, restore {restore_took:.2f} s "
              f"(own process, with start-up); {manifest['rows']} rows, {manifest['bytes'] / 1e6:.1f} MB")


def test_restore_onto_a_database_with_data_is_refused_and_changes_nothing(world, transactional_db, tmp_path):
    call_command("backup", str(tmp_path), stdout=open(os.devnull, "w"))
    file = next(tmp_path.glob("ltci-*[!n]"))
    before = counts()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(file))
    message = str(refused.value)
    assert "目标数据库已有数据" in message and "enrolment_person" in message and "--force" in message
    assert "未做任何改动" in message
    assert counts() == before


def test_a_tampered_backup_is_refused(world, transactional_db, tmp_path, elsewhere):
    call_command("backup", str(tmp_path / "b"), stdout=open(os.devnull, "w"))
    file = next((tmp_path / "b").glob("ltci-*[!n]"))
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    result = elsewhere.ltci("restore", str(file))
    assert result.returncode != 0 and "SHA-256 与清单不符" in result.stderr
    assert not backup.in_use(elsewhere.counts())  # nothing restored
    with pytest.raises(CommandError, match="SHA-256 与清单不符"):
        call_command("restore", str(file), force=True)

    backup.manifest_path(file).unlink()
    with pytest.raises(CommandError, match="缺少备份清单"):
        call_command("restore", str(file))


def test_a_freshly_migrated_database_counts_as_empty(db):
    """`migrate` fills reference data (regions, the service catalogue) and their trail: a new server is
    migrated and then restored into without --force."""
    assert backup.in_use(counts()) == {}


def test_a_file_that_is_no_backup_is_refused(db, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a database")
    backup.manifest_path(file).write_text(json.dumps({"sha256": backup.sha256(file), "tables": {}, "vendor": "sqlite"}))
    with pytest.raises(CommandError, match="不是本平台的备份文件"):
        call_command("restore", str(file))


def test_a_backup_of_an_older_version_asks_for_migrate(transactional_db, tmp_path):
    call_command("backup", str(tmp_path), stdout=open(os.devnull, "w"))
    manifest = json.loads(backup.manifest_path(next(tmp_path.glob("ltci-*[!n]"))).read_text(encoding="utf-8"))
    assert backup.migration_gap(manifest) == ([], [])
    older = {**manifest, "migrations": [m for m in manifest["migrations"] if m != "settlement.0001_initial"]}
    assert backup.migration_gap(older) == (["settlement.0001_initial"], [])
    newer = {**manifest, "migrations": [*manifest["migrations"], "settlement.9999_future"]}
    assert backup.migration_gap(newer) == ([], ["settlement.9999_future"])


def test_backup_into_a_place_it_cannot_write_is_an_error(transactional_db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CommandError, match="备份失败"):
        call_command("backup", str(blocker / "backups"))


def test_backup_is_refused_inside_a_transaction(db, tmp_path):
    """The test's transaction holds SQLite's write lock: the online backup would wait for it forever."""
    with pytest.raises(CommandError, match="不能在事务中备份"):
        call_command("backup", str(tmp_path))
