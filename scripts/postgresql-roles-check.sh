#!/usr/bin/env bash
# CI (.ci/run, after the suite's PostgreSQL run): the platform under the README's production roles.
# Inside scripts/with-postgresql.sh: sets the roles up with scripts/postgresql-roles.sql, migrates as
# ltci_owner, grants with scripts/postgresql-grants.sql, then as ltci_app (owns nothing) loads a
# demo region, logs in and works through pages and the API, proves that ltci_app cannot truncate,
# edit or delete the audit trail, disable its triggers, drop it or migrate it back, and ends with
# `ltci audit verify` and `ltci ledger check`, which must pass. The last line is the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?run inside scripts/with-postgresql.sh}" "${PGHOST:?}"

DB=ltci_roles
SOCKET="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PGHOST")"
OWNER_URL="postgres://ltci_owner:owner-secret@$SOCKET/$DB"
APP_URL="postgres://ltci_app:app-secret@$SOCKET/$DB"
LTCI=(.venv/bin/python -m ltci.cli)
CHECKS=0

step() { echo "-- $*"; }
as_owner() { DATABASE_URL="$OWNER_URL" "$@"; }
as_app() { DATABASE_URL="$APP_URL" LTCI_DEMO=1 "$@"; }

step "roles and database (scripts/postgresql-roles.sql, as the superuser)"
psql -q -d postgres -v db="$DB" -v owner_password=owner-secret -v app_password=app-secret \
  -f scripts/postgresql-roles.sql
step "ltci migrate as ltci_owner, then scripts/postgresql-grants.sql"
as_owner "${LTCI[@]}" migrate --noinput -v0
psql -q -U ltci_owner -d "$DB" -f scripts/postgresql-grants.sql

step "as ltci_app: a demo region, the platform's checks of its role, logins, pages and the API"
as_app "${LTCI[@]}" demo --region xuzhou --insured 50 --seed 2026 | tail -n 1
as_app .venv/bin/python - <<'PY'
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ltci.settings")
import django

django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client

from ltci.audit.triggers import role_problems

with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    assert cursor.fetchone()[0] == "ltci_app"
assert role_problems() == [], role_problems()


def logged_in(username):
    client = Client()
    response = client.post("/login/", {"username": username, "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302, (username, response.status_code)
    return client


clerk = logged_in("xuzhou.clerk")
pages = ["/", "/persons/", "/institutions/", "/contributions/arrears/", "/assessment/", "/settlement/", "/fund/",
         "/supervision/"]
for url in pages:
    assert clerk.get(url).status_code == 200, url
found = clerk.get("/api/persons?limit=3").json()
person = found["items"][0]["id"]
assert clerk.get(f"/api/persons/{person}").status_code == 200
assert clerk.post(f"/api/persons/{person}/id-number").status_code == 200  # a reveal, on the trail
assert clerk.patch(f"/api/persons/{person}", {"phone": "13800000000"}, content_type="application/json").status_code == 200
assert clerk.post("/logout/").status_code in (200, 302)
auditor = logged_in("xuzhou.auditor")
for url in ("/audit/", "/audit/export.xlsx", "/cockpit/"):
    assert auditor.get(url).status_code == 200, url
assert Client().post("/login/", {"username": "xuzhou.clerk", "password": "wrong"}).status_code == 200
print(f"as ltci_app: {len(pages) + 10} requests answered as they should; role checks clean")
PY
CHECKS=$((CHECKS + 1))

step "as ltci_app: what it must not do to the trail"
refused() {  # SQL that ltci_app must be refused
  local out
  if out="$(psql -q -U ltci_app -d "$DB" -v ON_ERROR_STOP=1 -c "$1" 2>&1)"; then
    echo "FAILED: ltci_app was allowed: $1" >&2
    exit 1
  fi
  grep -Eq "permission denied|must be owner|append-only|only moves forward" <<<"$out" || { echo "FAILED: $1: $out" >&2; exit 1; }
  echo "   refused: $1 ($(grep -Eo 'permission denied|must be owner|append-only|only moves forward' <<<"$out" | head -n 1))"
  CHECKS=$((CHECKS + 1))
}
refused "TRUNCATE audit_auditevent CASCADE"
refused "TRUNCATE audit_link"
refused "TRUNCATE fund_journal CASCADE"
refused "TRUNCATE enrolment_person CASCADE"
refused "UPDATE audit_auditevent SET object_repr = 'x'"
refused "DELETE FROM audit_auditevent"
refused "UPDATE audit_link SET hash = repeat('0', 64)"
refused "DELETE FROM audit_link"
refused "UPDATE audit_chainhead SET seq = 0"
refused "DELETE FROM audit_chainhead"
refused "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
refused "ALTER TABLE audit_auditevent DISABLE TRIGGER USER"
refused "DROP TABLE audit_auditevent CASCADE"
refused "DROP TRIGGER audit_link_append_only ON audit_link"
if out="$(as_app "${LTCI[@]}" migrate audit 0004 --noinput -v0 2>&1)"; then
  echo "FAILED: ltci_app migrated the audit trail back" >&2
  exit 1
fi
grep -q "must be owner" <<<"$out" || { echo "FAILED: ltci migrate audit 0004: $out" >&2; exit 1; }
echo "   refused: ltci migrate audit 0004 (must be owner)"
CHECKS=$((CHECKS + 1))

step "as ltci_app: ltci audit verify, ltci ledger check"
as_app "${LTCI[@]}" audit verify
as_app "${LTCI[@]}" ledger check --region xuzhou | tail -n 1
CHECKS=$((CHECKS + 2))
echo "$CHECKS checks passed: migrated as ltci_owner, served as ltci_app, ltci audit verify exit 0"
