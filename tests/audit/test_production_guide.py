"""The README's production guide shows the SQL that CI runs (scripts/postgresql-*.sql), word for word."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["postgresql-roles.sql", "postgresql-grants.sql"])
def test_the_readme_shows_the_sql_that_ci_runs(script):
    readme = (ROOT / "README.md").read_text()
    guide = readme[readme.index("## Production: PostgreSQL roles"):]
    statements = [line for line in (ROOT / "scripts" / script).read_text().splitlines()
                  if line and not line.startswith(("--", "\\set"))]
    assert statements and all(f"   {line}\n" in guide for line in statements)
    assert f"scripts/{script}" in guide


def test_ci_runs_the_roles_stage_after_the_suite():
    run = (ROOT / ".ci" / "run").read_text()
    assert run.index("run_stage PostgreSQL test-postgresql") < run.rindex("\nrun_roles_stage\n")
    stage = (ROOT / "scripts" / "postgresql-roles-check.sh").read_text()
    for needed in ("postgresql-roles.sql", "postgresql-grants.sql", "audit verify", "TRUNCATE audit_auditevent",
                   "DISABLE TRIGGER", "DROP TABLE audit_auditevent", "migrate audit 0004"):
        assert needed in stage, needed
