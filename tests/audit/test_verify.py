"""`ltci audit verify`, and the two checks that call it: `ltci check --deploy` and `ltci ledger check`."""

import pytest
from django.db import connection

from ltci.audit import triggers
from ltci.cli import main

from .conftest import POSTGRESQL, named, unguarded


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """A command run from the command line closes the connections when it ends, which would end the
    test's transaction on PostgreSQL: keep it, so that a test may run several."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def run(capsys, *argv) -> tuple[int, str]:
    """`ltci ARGV…` in this process: its exit code and what it printed."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def edit(event) -> None:
    with unguarded() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_repr = '无' WHERE id = %s", [event.pk])


def test_help_lists_the_audit_command(capsys):
    code, out = run(capsys, "--help")
    assert code == 0 and "  audit " in out and "verify" in out


def test_an_intact_trail_exits_0_with_one_line(trail, capsys):
    code, out = run(capsys, "audit", "verify")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 1
    assert lines[0].startswith(f"审计日志完整：核验 {len(trail)} 条事件（序号 1–{len(trail)}），"
                               f"链尾 {trail[-1].seq}:{trail[-1].hash}")
    assert lines[0].endswith("秒") and "保护触发器齐全" in lines[0] and "用时" in lines[0]


def test_a_broken_trail_exits_1_naming_the_event_in_chinese(trail, capsys):
    edit(trail[4])
    code, out = run(capsys, "audit", "verify")
    assert code == 1
    assert f"✗ {named(trail[4])}" in out and "与链不符" in out
    assert "审计日志核验未通过：发现 1 处问题" in out


def test_an_anchor_kept_elsewhere_is_checked(trail, capsys):
    last = trail[-1]
    assert run(capsys, "audit", "verify", "--anchor", f"{last.seq}:{last.hash}")[0] == 0
    code, out = run(capsys, "audit", "verify", "--anchor", f"{last.seq}:{'0' * 64}")
    assert code == 1 and f"锚点序号 {last.seq} 的哈希与链中记录不符" in out
    code, out = run(capsys, "audit", "verify", "--anchor", f"{last.seq + 5}:{last.hash}")
    assert code == 1 and f"锚点序号 {last.seq + 5} 的事件不在链中" in out


@pytest.mark.parametrize("anchor", ["12", "x:" + "a" * 64, "3:ABC", "0:" + "a" * 64])
def test_a_malformed_anchor_exits_2_and_says_how_to_write_it(db, capsys, anchor):
    code, out = run(capsys, "audit", "verify", "--anchor", anchor)
    assert code == 2 and "锚点应写作 序号:哈希" in out


def test_many_problems_are_counted_and_the_first_listed(trail, capsys):
    with unguarded() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_repr = '无'")
    code, out = run(capsys, "audit", "verify")
    assert code == 1 and out.count("✗ ") == 20
    assert f"……另有 {len(trail) - 20} 处问题未列出" in out and f"发现 {len(trail)} 处问题" in out


# -- ltci check --deploy ------------------------------------------------------------------------

@pytest.fixture
def deploy_checks_pass(monkeypatch):
    """Django's own deployment checks are tested with production settings in tests/core/test_cli.py;
    here only the platform's part of `check --deploy` is under test."""
    import ltci.core.management.commands.healthcheck as healthcheck

    monkeypatch.setattr(healthcheck, "call_command", lambda *args, **kwargs: None)


def test_check_deploy_verifies_the_trail(trail, deploy_checks_pass, capsys):
    code, out = run(capsys, "check", "--deploy")
    assert f"审计日志完整：核验 {len(trail)} 条事件" in out
    if POSTGRESQL:  # the suite runs as a superuser: exactly what a serving role must not be
        assert code == 1 and "是超级用户" in out and "生产部署：PostgreSQL 角色" in out
    else:
        assert code == 0


def test_check_deploy_fails_on_a_broken_trail(trail, deploy_checks_pass, capsys):
    edit(trail[2])
    code, out = run(capsys, "check", "--deploy")
    assert code == 1 and f"problem: 审计日志：{named(trail[2])}" in out


def test_check_deploy_fails_on_a_missing_trigger(trail, deploy_checks_pass, capsys):
    name = triggers.expected()[0]
    with connection.cursor() as cursor:
        if POSTGRESQL:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {triggers.POSTGRESQL_TRIGGERS[name]} DISABLE TRIGGER {name}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    code, out = run(capsys, "check", "--deploy")
    assert code == 1 and f"数据库缺少保护审计日志的触发器（或已停用）：{name}" in out


def test_plain_check_does_not_walk_the_trail(trail, capsys):
    edit(trail[2])
    code, out = run(capsys, "check")
    assert code == 0 and "审计日志" not in out


# -- ltci ledger check -------------------------------------------------------------------------

def test_ledger_check_verifies_the_trail(trail, capsys):
    code, out = run(capsys, "ledger", "check", "--region", "xuzhou")
    assert code == 0 and "审计日志核对" in out and f"审计日志完整：核验 {len(trail)} 条事件" in out


def test_ledger_check_fails_on_a_broken_trail(trail, capsys):
    edit(trail[7])
    code, out = run(capsys, "ledger", "check", "--region", "xuzhou")
    assert code == 1
    assert f"✗ {named(trail[7])}" in out and "基金账务核对未通过：审计日志" in out


def test_the_verify_command_needs_its_subcommand(db, capsys):
    code, out = run(capsys, "audit")
    assert code == 2 and "verify" in out
