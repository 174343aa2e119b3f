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
# the venue map's basemap without a tile server: country outlines (Natural Earth 1:50m, TopoJSON)
cp "$work/node_modules/topojson-client/dist/topojson-client.min.js" "$out/"
cp "$work/node_modules/world-atlas/countries-50m.json" "$out/"
for package in htmx.org chart.js leaflet topojson-client world-atlas; do cp "$work"/node_modules/$package/LICENSE* "$out/LICENSE-$package"; done
rm -rf "$work"
