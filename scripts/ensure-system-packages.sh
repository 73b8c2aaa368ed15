#!/usr/bin/env bash
# What the app needs from Debian, not PyPI: Pango for WeasyPrint's PDF notices and the Noto CJK fonts
# they are set in, and Java 17 or newer for the batch engine on Spark (`ltci batch --engine spark`).
# Installs them when missing and we may (root with apt-get); otherwise says what is missing and
# fails, since the notices and the Spark engine cannot run without them.
set -uo pipefail
missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -q 'Noto Sans CJK' || missing+=(fonts-noto-cjk fontconfig)
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
[ "$(java_major 2>/dev/null || echo 0)" -ge 17 ] 2>/dev/null || missing+=(default-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages for PDF notices and Spark: ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "ERROR: missing Debian packages ${missing[*]} (PDF notices and the Spark engine need them); install them and retry." >&2
exit 1
