#!/usr/bin/env bash
# Schemathesis against `ltci serve` on a fresh demo database, as a clerk and as an institution
# administrator: exits non-zero on any 5xx or any response that violates its schema (CI stage
# `Schemathesis` of .ci/run). Options go to scripts/schemathesis_check.py (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/schemathesis_check.py "$@"
