#!/usr/bin/env bash
# Installs and runs the product: embedded PostgreSQL (unless DATABASE_URL is set), migrations, a demo
# tenant with a login printed on screen, and the web server on http://127.0.0.1:8000/.
source "$(dirname "$0")/_setup.sh"

.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py demo_setup
echo "Open http://127.0.0.1:${PORT:-8000}/ (API docs: /api/docs/, admin: /admin/)"
exec .venv/bin/python manage.py runserver "0.0.0.0:${PORT:-8000}"
