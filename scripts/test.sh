#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite on real PostgreSQL (embedded) and Redis.
source "$(dirname "$0")/_setup.sh"

exec .venv/bin/python -m pytest "$@"
