# Shared by scripts/run.sh and scripts/test.sh: a virtualenv with the pinned packages, and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -qq --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m pip install -qq --disable-pip-version-check --no-deps -r requirements-nodeps.txt

# this install's own secret, made once and kept in .env (git-ignored, owner-only); no key in the repository signs
# anything. It also says that this machine serves plain HTTP (scripts/run.sh, on loopback unless HOST says otherwise).
if ! grep -qs '^DJANGO_SECRET_KEY=' .env; then
  (umask 077 && {
    echo "# made once by scripts/_setup.sh for this install: keep it out of the repository"
    echo "DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    echo "DJANGO_HTTPS=false"
  } >> .env)
fi

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if [ -z "${REDIS_URL:-}" ] && ! redis_up; then
  echo "Starting Redis on 127.0.0.1:6379"
  command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
fi
