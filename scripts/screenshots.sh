#!/usr/bin/env bash
# Refreshes the README's screenshots (docs/screenshots) from the browser tests; a plain test run writes its
# screenshots to the ignored .cache/screenshots instead.
set -euo pipefail
cd "$(dirname "$0")/.."
SCREENSHOTS_DIR="$(pwd)/docs/screenshots" bash scripts/test.sh tests/browser "$@"
