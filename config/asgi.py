import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Under ASGI each request's sync code runs in a thread of its own, so a connection kept per thread would never be
# reused: the process shares a pool instead, which also bounds its connections however many requests arrive.
os.environ.setdefault("DATABASE_POOL_SIZE", "10")
django_application = get_asgi_application()

from analytics.live_stream import LiveStreams  # noqa: E402 (needs the apps loaded)
from ingest.uploads import RequestBodyLimitASGI  # noqa: E402

application = RequestBodyLimitASGI(LiveStreams(django_application))
