#!/usr/bin/env bash
# Installs and runs the product: embedded PostgreSQL (unless DATABASE_URL is set), migrations, a demo tenant
# whose store camera has processed a real clip (login printed on screen), a Celery worker for new video jobs,
# and the web server on http://127.0.0.1:8000/.
source "$(dirname "$0")/_setup.sh"

FOOTAGE_DIR="${FOOTAGE_DIR:-$(cd .. && pwd)/shared/footage}"
export VISION_MODEL_DIR="${VISION_MODEL_DIR:-$(cd .. && pwd)/shared/models}"
CLIP="${DEMO_CLIP:-$FOOTAGE_DIR/TUD-Stadtmitte/TUD-Stadtmitte.mp4}"

.venv/bin/python manage.py migrate --no-input
if [ -f "$CLIP" ]; then
  .venv/bin/python manage.py demo_setup --clip "$CLIP"
else
  echo "No demo clip at $CLIP (set DEMO_CLIP): the demo store starts without footage."
  .venv/bin/python manage.py demo_setup
fi

.venv/bin/celery -A config worker -Q default,vision --pool solo -l WARNING &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT
echo "Open http://127.0.0.1:${PORT:-8000}/ (API docs: /api/docs/, admin: /admin/)"
# uvicorn (ASGI): live event streams are served from its event loop, not a thread each
# this machine only by default: the demo runs with DJANGO_DEBUG on, whose error pages must not be public
.venv/bin/uvicorn config.asgi:application --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
