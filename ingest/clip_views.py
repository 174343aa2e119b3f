"""A job's review clip: the MP4 itself, with byte ranges so that players can seek."""

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from ingest.models import ReviewClip

_BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK_BYTES = 64 * 1024


@login_required
@require_GET
def job_clip(request, job_id):
    """The job's review clip; another tenant's, an expired or a missing one is a 404."""
    if request.tenant is None:
        raise Http404
    return clip_response(request, get_object_or_404(ReviewClip.objects.all(), job_id=job_id))


def clip_response(request, clip: ReviewClip):
    """The clip's MP4, whole or the byte range asked for (also the API's `GET jobs/{id}/clip/`)."""
    storage, name = clip.file.storage, clip.file.name
    try:
        size, file = storage.size(name), storage.open(name, "rb")
    except FileNotFoundError as missing:
        raise Http404("The clip's file is no longer stored.") from missing
    response = ranged_file_response(request, file, size, "video/mp4")
    response["Cache-Control"] = "private, no-cache"  # a new run replaces the clip at the same address
    return response


def ranged_file_response(request, file, size: int, content_type: str):
    """The whole file (200), or the one byte range asked for (206); a range starting past the end is a 416.
    Django's FileResponse serves whole files only, and players seek with ranges. Forms this does not serve
    (several ranges, a malformed header) get the whole file, as HTTP allows."""
    match = _BYTE_RANGE.fullmatch(request.headers.get("Range", "").strip())
    first, last = match.groups() if match else ("", "")
    if (not first and not last) or (first and last and int(last) < int(first)):
        response = FileResponse(file, content_type=content_type)
    else:
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # the last `last` bytes
            start, end = max(0, size - int(last)), size - 1
        if start > end:
            file.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
        else:
            file.seek(start)
            response = StreamingHttpResponse(_chunks(file, end - start + 1), status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _chunks(file, length: int):
    try:
        while length > 0 and (chunk := file.read(min(CHUNK_BYTES, length))):
            length -= len(chunk)
            yield chunk
    finally:
        file.close()
