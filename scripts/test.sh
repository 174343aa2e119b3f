#!/usr/bin/env bash
# Installs what the tests need, checks the import contracts and runs the whole suite on real PostgreSQL (embedded)
# and Redis.
source "$(dirname "$0")/_setup.sh"

# the dashboards' browser tests drive Debian's Chromium (Playwright's own browser download does not work here)
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"  # tests' queues apart from a dev worker's
export VISION_MODEL_DIR="${VISION_MODEL_DIR:-$(cd .. && pwd)/shared/models}"
export FOOTAGE_DIR="${FOOTAGE_DIR:-$(cd .. && pwd)/shared/footage}"
export FACES_DIR="${FACES_DIR:-$(cd .. && pwd)/shared/faces}"
# the layer contracts of pyproject.toml ([tool.importlinter]): which app may import which
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
