"""docker-compose healthchecks (standard library only: run as a script every few seconds, no Django start-up).

python config/healthcheck.py URL           # healthy when URL answers 200
python config/healthcheck.py URL CHECK     # healthy when /readyz at URL says CHECK (e.g. beat) is ok
"""

import json
import sys
import urllib.error
import urllib.request


def healthy(url: str, check: str | None = None) -> bool:
    # as if through the TLS proxy (no redirect to HTTPS), for a host name that ALLOWED_HOSTS has by default
    request = urllib.request.Request(url, headers={"Host": "localhost", "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer, status = response.read(), response.status
    except urllib.error.HTTPError as error:  # /readyz answers 503 with the checks in its body
        answer, status = error.read(), error.code
    except OSError as error:
        print(f"{url}: {error}")
        return False
    if check is None:
        return status == 200
    return bool(json.loads(answer)["checks"][check]["ok"])


if __name__ == "__main__":
    sys.exit(0 if healthy(*sys.argv[1:3]) else 1)
