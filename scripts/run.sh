#!/usr/bin/env bash
# Installs and runs the product: embedded PostgreSQL (unless DATABASE_URL is set), migrations, a demo tenant
# whose store camera has processed a real clip (login printed on screen), then everything in the Procfile under
# honcho: the web server on http://127.0.0.1:8000/ (HOST and PORT change it), a vision worker, a default worker
# and beat (alerts, digests, the recovery of stuck jobs). Debug is off; the install's secret is in .env.
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

mkdir -p .cache staticfiles  # staticfiles: where WhiteNoise looks first (collectstatic fills it in deployments)
export EMAIL_URL="${EMAIL_URL:-filemail://$(pwd)/.cache/outbox}"  # alert emails and digests: a file each
echo "Open http://${HOST:-127.0.0.1}:${PORT:-8000}/ (API docs: /api/docs/, admin: /admin/)"
WEB_PORT="${PORT:-8000}" exec .venv/bin/honcho start  # honcho sets PORT per process; the web server reads WEB_PORT
