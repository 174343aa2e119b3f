"""A venue's live event stream as server-sent events, followed from the Redis stream that `ingest.live` writes.

Many idle listeners cost little: `LiveStreams` serves each stream from the ASGI server's event loop (no thread
or database connection per listener), and one `VenueFeed` per venue and process reads the Redis stream and hands
each entry to its listeners' queues (no Redis connection per listener). A listener that resumes with `Last-Event-ID` first
reads what it missed straight from the stream, then takes the feed's entries, skipping any it has sent. One
that falls `LIVE_LISTENER_BUFFER` entries behind is closed: its client reconnects and resumes from its last id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import weakref
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.renderers import own_bytes_renderer
from ingest.live import occupancy_from, occupancy_ranges, stream_key
from venues.models import Venue

logger = logging.getLogger(__name__)
EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
BATCH = 500  # entries read at a time
BLOCK_SECONDS = 5  # a feed's read waits this long for new entries, then reads again
RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after the connection drops


def event_order(event_id: str) -> tuple[int, int]:
    milliseconds, sequence = event_id.split("-")
    return int(milliseconds), int(sequence)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sse(data: dict | str, event: str | None = None, event_id: str | None = None) -> str:
    """One server-sent event (`data` is one JSON line)."""
    data = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    lines = [f"id: {event_id}"] if event_id else []
    lines += [f"event: {event}"] if event else []
    return "\n".join([*lines, f"data: {data}", "", ""])


def _entry(entry_id: bytes, fields: dict) -> tuple[str, str]:
    """A stream entry's id and its server-sent event (named by the message's type)."""
    entry_id, data = _text(entry_id), _text(fields[b"data"])
    return entry_id, sse(data, json.loads(data)["type"], entry_id)


class Listener:
    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=settings.LIVE_LISTENER_BUFFER)
        self.overflowed = False


class VenueFeed:
    """Reads one venue's stream for all of this process's listeners of that venue, while it has any."""

    def __init__(self, client: aioredis.Redis, venue_id: int):
        self.client, self.key = client, stream_key(venue_id)
        self.listeners: set[Listener] = set()
        self.reader: asyncio.Task | None = None

    def join(self) -> Listener:
        listener = Listener()
        self.listeners.add(listener)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self._read())
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if not self.listeners and self.reader is not None:
            self.reader.cancel()
            self.reader = None

    async def _read(self) -> None:
        after = None
        while self.listeners:
            try:
                if after is None:
                    newest = await self.client.xrevrange(self.key, count=1)
                    after = _text(newest[0][0]) if newest else "0-0"
                answer = await self.client.xread({self.key: after}, block=BLOCK_SECONDS * 1000, count=BATCH)
            except aioredis.RedisError as error:
                logger.warning("live feed %s: %s; retrying", self.key, error)
                await asyncio.sleep(1)
                continue
            for _, entries in answer:
                for raw_id, fields in entries:
                    after, text = _entry(raw_id, fields)  # rendered once for all the listeners
                    entry = (event_order(after), text)
                    for listener in list(self.listeners):
                        try:
                            listener.queue.put_nowait(entry)
                        except asyncio.QueueFull:
                            listener.overflowed = True
                            self.listeners.discard(listener)


class _Feeds:
    """The Redis client and venue feeds of one event loop (a server has one loop; tests start several)."""

    def __init__(self):
        self.client = aioredis.Redis.from_url(settings.LIVE_REDIS_URL, socket_timeout=BLOCK_SECONDS + 10)
        self.venues: dict[int, VenueFeed] = {}

    def of(self, venue_id: int) -> VenueFeed:
        return self.venues.setdefault(venue_id, VenueFeed(self.client, venue_id))


_per_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _feeds() -> _Feeds:
    loop = asyncio.get_running_loop()
    if loop not in _per_loop:
        _per_loop[loop] = _Feeds()
    return _per_loop[loop]


async def _missed(client: aioredis.Redis, key: str, after: str) -> AsyncIterator[tuple[str, str]]:
    """What was added after `after`, preceded by a `gap` event when `after` is older than anything kept (the
    stream was trimmed past it: some events after it may be lost)."""
    entries = await client.xrange(key, min="-", max="+", count=1)
    if entries and event_order(_text(entries[0][0])) > event_order(after):
        message = "Events after your last one may no longer be kept: reload the dashboard's figures."
        yield "", sse({"type": "gap", "message": message}, "gap")
    while entries := await client.xrange(key, min=f"({after}", max="+", count=BATCH):
        for entry_id, fields in entries:
            after, text = _entry(entry_id, fields)
            yield after, text


async def venue_events(venue_id: int, last_event_id: str | None) -> AsyncIterator[str]:
    """The venue's events as server-sent events: from after `last_event_id` (or from now), then live, with the
    current occupancy once caught up and a comment line every LIVE_HEARTBEAT_SECONDS while idle."""
    feeds = _feeds()
    feed, client, key = feeds.of(venue_id), feeds.client, stream_key(venue_id)
    listener = feed.join()  # before reading what was missed, so that nothing falls in between
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        if last_event_id is None:
            newest = await client.xrevrange(key, count=1)
            sent = _text(newest[0][0]) if newest else "0-0"
        else:
            sent = last_event_id
            async for entry_id, text in _missed(client, key, sent):
                sent = entry_id or sent
                yield text
        visits_range, stays_range = occupancy_ranges(venue_id)
        yield sse(occupancy_from(await client.zcount(*visits_range), await client.zrangebyscore(*stays_range)),
                  "occupancy")  # fmt: skip
        sent_order = event_order(sent)
        while not (listener.overflowed and listener.queue.empty()):
            if listener.queue.empty():
                try:
                    async with asyncio.timeout(settings.LIVE_HEARTBEAT_SECONDS):
                        order, text = await listener.queue.get()
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
            else:
                order, text = listener.queue.get_nowait()
            if order > sent_order:
                sent_order = order
                yield text
    finally:
        feed.leave(listener)


class VenueEventStreamView(APIView):
    """Server-sent events of a venue as they are written: `visit.started`, `visit.ended`, `zone.entered`,
    `zone.exited`, `line.crossed`, `queue.joined`, `queue.served`, `queue.abandoned`, `alert`, and `occupancy`
    (people in the venue now, and per zone id). Each event has an id: reconnect with `Last-Event-ID` (browsers'
    EventSource does it by itself) or `?last_event_id=` to receive everything after it; a `gap` event says that
    some of it may no longer be kept (each venue keeps its last LIVE_STREAM_MAXLEN events)."""

    renderer_classes = [JSONRenderer, own_bytes_renderer("text/event-stream", "sse")]

    @extend_schema(
        parameters=[OpenApiParameter("last_event_id", str, description="Resume after this event id.")],
        responses={(200, "text/event-stream"): OpenApiResponse(description="A stream of server-sent events.")},
    )
    def get(self, request, venue_id):
        """Checks the caller and the request the way every API view does; the stream itself is served by
        `LiveStreams` in the ASGI server's event loop once this answers (see `LiveStreams`)."""
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        last_event_id = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id")
        if last_event_id is not None and not EVENT_ID.match(last_event_id):
            raise ValidationError({"last_event_id": f"{last_event_id!r} is not an event id like 1763712000000-0."})
        if not getattr(request, "scope", {}).get(PREFLIGHT):
            return Response({"detail": "Live streams are served by the ASGI server (uvicorn config.asgi:application)."},
                            status=status.HTTP_501_NOT_IMPLEMENTED)  # fmt: skip
        return Response({"venue": venue.pk, "last_event_id": last_event_id})


PREFLIGHT = "live_stream_preflight"  # set in the ASGI scope by LiveStreams, never by a client
STREAM_PATH = re.compile(r"^/api/v1/venues/\d+/events/stream$")


class LiveStreams:
    """ASGI middleware serving the live event streams without a thread each.

    Django serves every request inside a thread-sensitive context whose thread lives as long as the response,
    so a stream served by a Django view would keep one thread (and its database connection) per listener. Here
    a stream request first goes through Django as a short "preflight" (the view above: authentication, tenant,
    venue, parameters, with every API rule); an error answer is passed on as it is, and on success the stream is
    served from this event loop, the request's Django context and thread already gone.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or not STREAM_PATH.match(scope["path"]):
            return await self.application(scope, receive, send)
        request = await receive()
        answer = await self._preflight({**scope, PREFLIGHT: True}, request)
        if answer["status"] != 200:
            for message in answer["messages"]:
                await send(message)
            return
        access = json.loads(b"".join(m.get("body", b"") for m in answer["messages"][1:]))
        await self._stream(access["venue"], access["last_event_id"], receive, send)

    async def _preflight(self, scope, request) -> dict:
        messages, delivered = [], False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return request
            await asyncio.Event().wait()  # Django listens for a disconnect until it has answered: none comes

        async def capture(message):
            messages.append(message)

        await self.application(scope, replay, capture)
        return {"status": messages[0]["status"], "messages": messages}

    async def _stream(self, venue_id: int, last_event_id: str | None, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),  # nginx: pass events on at once
        ]})  # fmt: skip

        async def forward():
            async for text in venue_events(venue_id, last_event_id):
                await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})  # closed: too slow

        async def disconnect():
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.create_task(forward()), asyncio.create_task(disconnect())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
