"""The `ltci` command line, and production settings that pass Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ltci.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_platform_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("serve", "demo", "check", "migrate", "import", "contributions", "scenario", "batch", "policy"):
        assert f"  {command} " in out


def production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LTCI_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        LTCI_ENV="production", LTCI_SECRET_KEY=secrets.token_urlsafe(64), LTCI_ALLOWED_HOSTS="ltci.example.org",
        LTCI_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra,
    )
    return env


def ltci(*args, env):
    return subprocess.run([sys.executable, "-m", "ltci.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs on SQLite files")
def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = production_env(tmp_path)
    result = ltci("manage", "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert ltci("migrate", "--noinput", "-v0", env=env).returncode == 0
    result = ltci("check", "--deploy", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["LTCI_SECRET_KEY"]
    result = ltci("manage", "check", env=env)
    assert result.returncode != 0 and "LTCI_SECRET_KEY" in result.stderr


def test_demo_mode_is_never_on_in_production(tmp_path):
    env = production_env(tmp_path, LTCI_DEMO="1")
    code = "from django.conf import settings; print(settings.DEMO_MODE, settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                            env={**env, "DJANGO_SETTINGS_MODULE": "ltci.settings"}, cwd=ROOT,
                            capture_output=True, text=True)
    assert result.stdout.strip() == "False False", result.stderr


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs on SQLite files")
def test_check_reports_pending_migrations(tmp_path):
    env = production_env(tmp_path)
    result = ltci("check", env=env)
    assert result.returncode != 0 and "migrations not applied" in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["check"], ["migrate", "--noinput"], ["createsuperuser"]])
def test_production_without_a_secret_key_is_one_line_and_exit_2_for_any_command(tmp_path, command):
    env = production_env(tmp_path)
    del env["LTCI_SECRET_KEY"]
    result = ltci(*command, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("ltci: LTCI_SECRET_KEY must be set in production")
    assert not (tmp_path / "secret_key").exists()
