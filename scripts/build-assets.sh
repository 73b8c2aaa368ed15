#!/usr/bin/env bash
# Installs the pinned front-end packages from the npm registry and copies the files the pages
# use into ltci/core/static/vendor, from where the app serves them (nothing comes from a CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
out=ltci/core/static/vendor
rm -rf "$out"
mkdir -p "$out"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$out/echarts.min.js"
printf 'htmx.org %s\necharts %s\n' \
  "$(node -p "require('./node_modules/htmx.org/package.json').version")" \
  "$(node -p "require('./node_modules/echarts/package.json').version")" > "$out/VERSIONS.txt"
