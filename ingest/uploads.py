"""Request bodies refused as soon as they pass their limit, before the rest reaches the disk.

Servers read a whole body before any view sees it (Django's ASGI handler spools it to a temporary file, its
multipart parser writes each file to another), so a limit checked by a serializer costs the server the full upload
first. Here:
- `RequestBodyLimitASGI` (uvicorn) refuses a declared size above the path's limit without reading the body, and
  stops reading one that sends more than it may;
- `RequestBodyLimitMiddleware` (any server) does the same for a declared size and parses the video upload endpoints'
  multipart bodies with `VideoUploadLimit`, which stops a file the moment it passes VIDEO_UPLOAD_MAX_BYTES.
Limits: an API body API_MAX_BODY_BYTES (a batch of events); a video upload VIDEO_UPLOAD_MAX_BYTES per file, as many
files as the endpoint takes. The answer is a 413 that says the limit: JSON, or the upload form's message.
"""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from vision.sources import human_size

FORM_FIELDS_BYTES = 1024**2  # room for an upload form's other fields and the multipart boundaries
_UPLOAD_ROUTES = {"job-list": False, "job-batch": True, "jobs-create": True}  # route: several files allowed
_UPLOAD_PAGE = "jobs-create"


class UploadTooLarge(Exception):
    """The upload passed its limit; the message says which file or body, and the limit."""


def _route(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def _files_allowed(route: str) -> int:
    return settings.VIDEO_BATCH_MAX if _UPLOAD_ROUTES[route] else 1


def _body_limit(path: str) -> tuple[str | None, int] | None:
    """(route, the most bytes a POST body to `path` may have), or None where no limit of ours applies."""
    route = _route(path)
    if route in _UPLOAD_ROUTES:
        return route, settings.VIDEO_UPLOAD_MAX_BYTES * _files_allowed(route) + FORM_FIELDS_BYTES
    if path.startswith("/api/"):
        return route, settings.API_MAX_BODY_BYTES
    return None


def _too_large_message(route: str | None, size: int) -> str:
    if route in _UPLOAD_ROUTES:
        files = _files_allowed(route)
        return (f"The upload is {human_size(size)}; at most {human_size(settings.VIDEO_UPLOAD_MAX_BYTES)} per file"
                f"{f' and {files} files' if files > 1 else ''} are accepted.")  # fmt: skip
    return (f"The request body is {size:,} bytes; at most {settings.API_MAX_BODY_BYTES:,} are accepted (send a large "
            "batch of events as several batches).")  # fmt: skip


def _refusal(route: str | None, message: str) -> HttpResponse:
    if route == _UPLOAD_PAGE:
        return HttpResponse(render_to_string("ingest/_messages.html", {"lines": [message], "status": 413}), status=413)
    return JsonResponse({"detail": message}, status=413)


class VideoUploadLimit(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        limit = settings.VIDEO_UPLOAD_MAX_BYTES
        if start + len(raw_data) > limit:
            self.file.close()  # the temporary file goes with it
            raise UploadTooLarge(
                f"{self.file_name!r} is larger than the limit of {human_size(limit)}; it was not kept."
            )
        return super().receive_data_chunk(raw_data, start)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = _body_limit(request.path_info) if request.method in ("POST", "PUT", "PATCH") else None
        if limit is None:
            return self.get_response(request)
        route, most = limit
        size = request.META.get("CONTENT_LENGTH") or "0"
        if size.isdigit() and int(size) > most:
            return _refusal(route, _too_large_message(route, int(size)))
        if route in _UPLOAD_ROUTES and request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
            request.upload_handlers = [VideoUploadLimit(request)]
            try:
                request.POST  # noqa: B018 (parsed here, under the limit, before the CSRF check reads it; kept for the view)
            except UploadTooLarge as error:
                return _refusal(route, str(error))
        return self.get_response(request)


class RequestBodyLimitASGI:
    """The same limits at the ASGI door, where Django would otherwise spool the whole body to disk first."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        limit = _body_limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        route, most = limit
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > most:
            return await self._refuse(send, route, int(declared))
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > most:
                await self._refuse(send, route, received)
                return {"type": "http.disconnect"}  # Django stops reading and answers nothing more
            return message

        return await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send, route, size: int) -> None:
        response = _refusal(route, _too_large_message(route, size))
        headers = [(b"content-type", response["Content-Type"].encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})
