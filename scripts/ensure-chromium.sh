#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here); the
# PDF tests read notices back with poppler's pdftotext.
# Installs it when missing and we may (root with apt-get); otherwise says why the browser tests
# will be skipped.
set -uo pipefail
if [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium and poppler-utils for the browser and PDF tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null \
    && exit 0
fi
echo "WARNING: /usr/bin/chromium is missing and cannot be installed here: the browser tests will be skipped." >&2
exit 0
