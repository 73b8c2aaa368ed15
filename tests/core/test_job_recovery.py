"""Work that commits leaves its trace: a job's end and its audit event are written together, and a
job whose process died is finished (an import that was writing) or marked failed with the reason on
the next start, never left running."""

from datetime import date

import pytest
from django.db import connection

from ltci.accounts.roles import Role
from ltci.audit.models import Action, AuditEvent, Outcome
from ltci.contributions import billing
from ltci.contributions.models import Bill
from ltci.core import imports, jobs
from ltci.core.models import Job, JobKind, JobStatus
from ltci.core.stage import Stage
from ltci.enrolment import roster
from ltci.enrolment.models import Enrolment, Person
from ltci.regions.models import Region

from ..enrolment.test_roster import row, write_csv

class Killed(BaseException):
    """The process ends here: not an Exception, so nothing in the job catches it."""


def dead(job: Job) -> Job:
    """The job as a process that died left it: its owner is a pid of this host that no longer runs."""
    import socket

    Job.objects.filter(pk=job.pk).update(owner=f"{socket.gethostname()}:999999999:1")
    return Job.objects.get(pk=job.pk)


@pytest.fixture
def xuzhou(db):
    return Region.objects.get(pk="xuzhou")


def test_a_roster_import_killed_while_writing_is_written_to_its_end_on_the_next_start(tmp_path, xuzhou, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    monkeypatch.setattr(imports, "WRITE_SLICE", 0)  # one chunk per transaction
    path = write_csv(tmp_path / "roster.csv", [row(n) for n in range(1, 8)])  # 7 rows: 4 chunks
    real, calls = roster.apply, []

    def apply_then_die(job, changes):
        calls.append(1)
        if len(calls) == 3:
            raise Killed
        real(job, changes)

    monkeypatch.setattr(roster, "apply", apply_then_die)
    with pytest.raises(Killed):
        roster.start_import(path, xuzhou)
    monkeypatch.setattr(roster, "apply", real)
    # SQLite committed two chunks on their own; PostgreSQL writes in one transaction, rolled back whole.
    assert Person.objects.count() == (4 if connection.vendor == "sqlite" else 0)
    job = dead(Job.objects.get(kind=JobKind.ROSTER_IMPORT))
    assert job.status == JobStatus.RUNNING and job.params["phase"] == "apply"
    assert not AuditEvent.objects.filter(action=Action.IMPORT).exists()
    assert [j.pk for j in jobs.recover()] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.counts["accepted"] == 7
    assert Person.objects.count() == 7 and Enrolment.objects.count() == 7  # each once, none twice
    assert AuditEvent.objects.get(action=Action.IMPORT).detail["accepted"] == 7
    assert not Stage(job.pk).dir.exists()


_original_write_staged = imports.write_staged


def test_an_import_killed_after_its_last_chunk_but_before_it_finished_is_finished(tmp_path, xuzhou, monkeypatch):
    """The finding: an import killed just after its commit kept its rows with no audit event and its
    job running for ever."""
    path = write_csv(tmp_path / "roster.csv", [row(1), row(2)])

    def die_before_finishing(job, apply):
        stage = Stage(job.pk)
        for index, changes in stage.chunks():
            apply(job, changes)
            jobs.mark(job, applied=index + 1)
        raise Killed

    monkeypatch.setattr(imports, "write_staged", die_before_finishing)
    with pytest.raises(Killed):
        roster.start_import(path, xuzhou)
    monkeypatch.setattr(imports, "write_staged", _original_write_staged)
    job = dead(Job.objects.get())
    assert Person.objects.count() == 2 and job.finished_at is None
    jobs.recover()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Person.objects.count() == 2
    event = AuditEvent.objects.get(action=Action.IMPORT)
    assert event.object_id == str(job.pk) and event.detail["accepted"] == 2


def test_an_import_killed_while_checking_wrote_nothing_and_is_marked_failed_with_its_trace(tmp_path, xuzhou,
                                                                                            monkeypatch):
    path = write_csv(tmp_path / "roster.csv", [row(1), row(2)])
    monkeypatch.setattr(roster, "_missing", lambda job, report: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        roster.start_import(path, xuzhou)
    job = dead(Job.objects.get())
    jobs.recover()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "未保存任何数据" in job.message and job.finished_at
    assert not Person.objects.exists()
    event = AuditEvent.objects.get(action=Action.IMPORT)
    assert event.outcome == Outcome.FAILURE and event.detail["abandoned"] is True


def test_the_job_page_does_not_show_a_dead_job_running(tmp_path, world, client_for, monkeypatch):
    job = Job.objects.create(kind=JobKind.BILLING, region=world["home"].region, title="2025年缴费核定",
                             status=JobStatus.RUNNING)
    dead(job)
    page = client_for(world["home"].users[Role.CLERK]).get(f"/jobs/{job.pk}/").content.decode()
    assert "处理进程意外中止" in page
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    api = client_for(world["home"].users[Role.CLERK]).get(f"/api/jobs/{job.pk}").json()
    assert api["status"] == "failed"


def test_a_running_job_of_a_live_process_is_left_alone(xuzhou):
    job = Job.objects.create(kind=JobKind.BILLING, region=xuzhou, title="t", status=JobStatus.RUNNING,
                             owner=jobs.this_process())
    assert jobs.recover() == [] and Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_billing_killed_half_way_says_what_it_billed_and_a_rerun_completes_it_once(world, monkeypatch):
    """Bills are written chunk by chunk with the counts; a re-run compares with what is billed."""
    from ltci.enrolment.models import Enrolment

    home = world["home"]
    region = home.region
    monkeypatch.setattr(billing, "CHUNK", 1)
    real, calls = billing._bills_of, []

    def bill_then_die(*args):
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real(*args)

    monkeypatch.setattr(billing, "_bills_of", bill_then_die)
    assert Enrolment.objects.filter(region=region).count() == 2
    with pytest.raises(Killed):
        billing.start_billing(region, "2025")
    job = dead(Job.objects.get(kind=JobKind.BILLING))
    jobs.recover()
    job.refresh_from_db()
    if connection.vendor == "sqlite":  # a chunk at a time: what was billed stays, and the job says so
        assert job.status == JobStatus.FAILED and "已核定 1 人" in job.message and "再次执行" in job.message
        assert Bill.objects.count() == 1
    else:  # one transaction: nothing stays
        assert job.status == JobStatus.FAILED and "未保存任何数据" in job.message
        assert Bill.objects.count() == 0
    monkeypatch.setattr(billing, "_bills_of", real)
    again = billing.start_billing(region, "2025")
    assert again.status == JobStatus.DONE and Bill.objects.count() == 2
    assert again.counts["original"] + again.counts["unchanged"] == 2 and Bill.objects.count() == 2


def test_a_second_billing_of_the_same_period_waits_for_the_first(world):
    from django.core.exceptions import ValidationError

    region = world["home"].region
    Job.objects.create(kind=JobKind.BILLING, region=region, title="2025年缴费核定", status=JobStatus.RUNNING,
                       params={"period": "2025"}, owner=jobs.this_process())
    with pytest.raises(ValidationError) as exc:
        billing.start_billing(region, "2025")
    assert "正在进行" in exc.value.message_dict["period"][0]


def test_a_header_only_roster_fails_and_the_command_exits_non_zero(tmp_path, xuzhou, monkeypatch):
    from django.core.management import CommandError, call_command

    path = write_csv(tmp_path / "roster.csv", [])
    job = roster.start_import(path, xuzhou)
    assert job.status == JobStatus.FAILED and "没有数据行" in job.message
    inline = roster.start_import
    monkeypatch.setattr(roster, "start_import", lambda *a, **k: inline(*a, **{**k, "background": False}))
    with pytest.raises(CommandError) as exc:
        call_command("import", "roster", str(path), "--region", "xuzhou")
    assert "没有数据行" in str(exc.value)


def test_a_payment_file_is_checked_whole_before_anything_is_written(world, tmp_path):
    """Two rows paying one bill: the second would overpay once the first is counted, in the same
    file; strict mode keeps neither."""
    import csv

    from ltci.contributions.models import Payment

    region = world["home"].region
    billing.start_billing(region, "2025")
    person = world["home"].other_person  # no subsidy group: pays an individual part
    bill = Bill.objects.get(person=person)
    assert bill.individual > 0
    path = tmp_path / "payments.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["证件号码", "缴费期间", "缴费主体", "缴费渠道", "金额", "渠道流水号", "到账日期"])
        w.writerow([person.id_number, "2025", "个人", "税务征收", str(bill.individual), "T-1", "2025-02-01"])
        w.writerow([person.id_number, "2025", "个人", "税务征收", "0.01", "T-2", "2025-02-01"])
    from ltci.contributions.payments import start_import

    job = start_import(path, region)
    assert job.status == JobStatus.REJECTED and not Payment.objects.exists()
    assert [(i.row, i.column) for i in job.issues.all()] == [(3, "金额")]
    job = start_import(path, region, strict=False)
    assert job.status == JobStatus.DONE and list(Payment.objects.values_list("reference", flat=True)) == ["T-1"]


@pytest.mark.parametrize("bad", ["王\x00秀英", "李\x1b建国", "张\u0085三"])
def test_a_name_with_a_control_character_is_a_rejected_row_not_a_database_error(tmp_path, xuzhou, bad):
    """NUL and the like were taken on SQLite and failed on PostgreSQL: refused at the edge on both."""
    path = write_csv(tmp_path / "roster.csv", [row(1, name=bad), row(2)])
    job = roster.start_import(path, xuzhou, strict=False)
    assert job.status == JobStatus.DONE and job.counts["rejected"] == 1 and job.counts["accepted"] == 1
    [issue] = job.issues.filter(kind="rejected")
    assert (issue.row, issue.column) == (2, "姓名") and "控制字符" in issue.reason
    assert list(Person.objects.values_list("name", flat=True)) == ["王秀英"]  # row 3 only


def test_a_write_that_meets_a_change_made_meanwhile_fails_in_words_on_the_trail_and_leaves_no_files(
        tmp_path, xuzhou, monkeypatch):
    """Someone registers one of the file's people between the check and the write: the import stops
    and says so in Chinese (no database message), the failure is on the trail, and the checked
    changes (names, ID numbers) do not stay on disk."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    monkeypatch.setattr(imports, "WRITE_SLICE", 0)
    rows = [row(n) for n in range(1, 8)]
    path = write_csv(tmp_path / "roster.csv", rows)
    checked = roster._missing

    def registered_meanwhile(job, report):
        checked(job, report)
        Person.objects.create(region=xuzhou, id_number=rows[4][0], name="手工登记", sex="F",
                              birth_date=date(1950, 3, 5), district="泉山区")

    monkeypatch.setattr(roster, "_missing", registered_meanwhile)
    with pytest.raises(imports.Conflict):
        roster.start_import(path, xuzhou)
    job = Job.objects.get(kind=JobKind.ROSTER_IMPORT)
    assert job.status == JobStatus.FAILED and "已被他人变更" in job.message and "UNIQUE" not in job.message
    assert ("已写入前 4 行" if connection.vendor == "sqlite" else "未保存任何数据") in job.message
    event = AuditEvent.objects.get(action=Action.IMPORT, object_id=str(job.pk))
    assert event.outcome == Outcome.FAILURE and event.detail["error"] == "Conflict"
    assert not Stage(job.pk).dir.exists()


def test_an_enrolment_ended_after_the_check_is_not_rewritten(tmp_path, xuzhou, monkeypatch):
    path = write_csv(tmp_path / "roster.csv", [row(1)])
    roster.start_import(path, xuzhou)
    changed = write_csv(tmp_path / "changed.csv", [row(1, category="在职职工", base="5000")])
    checked = roster._missing

    def ended_meanwhile(job, report):
        checked(job, report)
        Enrolment.objects.update(status="ended", end=date(2025, 1, 31), end_reason="death")

    monkeypatch.setattr(roster, "_missing", ended_meanwhile)
    with pytest.raises(imports.Conflict):
        roster.start_import(changed, xuzhou)
    assert Enrolment.objects.get().category == "retired"


def test_a_page_that_finds_a_dead_job_finishes_that_job_only_and_the_trail_names_the_platform(
        world, tmp_path, client_for):
    home, away = world["home"], world["away"]
    theirs = dead(Job.objects.create(kind=JobKind.BILLING, region=away.region, title="t", status=JobStatus.RUNNING,
                                     owner="x"))
    mine = dead(Job.objects.create(kind=JobKind.BILLING, region=home.region, title="t", status=JobStatus.RUNNING,
                                   owner="x"))
    client_for(home.users[Role.AUDITOR]).get(f"/jobs/{mine.pk}/")
    assert Job.objects.get(pk=mine.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=theirs.pk).status == JobStatus.RUNNING  # another region's job is not the reader's to touch
    event = AuditEvent.objects.get(object_type="core.job", object_id=str(mine.pk))
    assert event.actor is None and event.actor_name == "任务恢复（系统）"


def test_a_process_that_cannot_be_looked_up_is_taken_to_run(monkeypatch):
    monkeypatch.setattr(jobs, "_start_ticks", lambda pid: "")
    assert jobs.process_alive(jobs.this_process())
