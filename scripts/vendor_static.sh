#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the npm registry (pinned in scripts/vendor/package.json).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
cp scripts/vendor/package.json "$work/"
(cd "$work" && npm install --no-audit --no-fund --silent)
out=venues/static/vendor
mkdir -p "$out/leaflet"
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$work/node_modules/chart.js/dist/chart.umd.min.js" "$out/"
cp -r "$work/node_modules/leaflet/dist/leaflet.js" "$work/node_modules/leaflet/dist/leaflet.css" \
      "$work/node_modules/leaflet/dist/images" "$out/leaflet/"
for package in htmx.org chart.js leaflet; do cp "$work"/node_modules/$package/LICENSE* "$out/LICENSE-$package"; done
rm -rf "$work"
