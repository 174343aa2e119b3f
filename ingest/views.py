"""The Process video page: upload files or paste URLs for a camera, and follow the queue of jobs live."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from core.pages import member_writes, tenant_page
from ingest.models import VideoJob
from ingest.serializers import VideoJobBatchSerializer
from ingest.services import (
    review_clip_request,
    video_job_cancel,
    video_job_retry,
    video_job_retry_refusal,
    video_jobs_create,
)
from venues.models import Camera
from vision.sources import VIDEO_SUFFIXES

JOBS_PER_PAGE = 25
ACTIVE = (VideoJob.Status.QUEUED, VideoJob.Status.RUNNING)
READ_ONLY = "Your role in this tenant is read-only (viewer)."
STAGES = {"decode": "Decoding", "detect_track": "Detecting and tracking people", "faces": "Faces",
          "geometry": "Zones, lines and queues"}  # fmt: skip


def _messages(request, lines: list[str], status: int):
    return render(request, "ingest/_messages.html", {"lines": lines, "status": status}, status=status)


@tenant_page
def jobs_page(request):
    """The tenant's jobs, newest first, and (for analysts and owners) the form that creates more."""
    cameras = Camera.objects.select_related("venue").order_by("venue__name", "name")
    context = {**_queue(request), "cameras": cameras, "suffixes": VIDEO_SUFFIXES,
               "clip_seconds": settings.REVIEW_CLIP_SECONDS}  # fmt: skip
    return render(request, "ingest/jobs.html", context)


@tenant_page
def jobs_queue(request):
    """The queue alone, polled every second while a job is queued or running."""
    return render(request, "ingest/_queue.html", _queue(request))


@tenant_page
@require_POST
def jobs_create(request):
    """Files and/or URLs (one per line) for one camera, sent by jobs.js: 201, or 400 with every problem in plain
    words and no job created."""
    if not member_writes(request):
        return _messages(request, [READ_ONLY], 403)
    data = {
        "camera": request.POST.get("camera", ""),
        "files": request.FILES.getlist("files"),
        "urls": [line.strip() for line in request.POST.get("urls", "").splitlines() if line.strip()],
    }
    if request.POST.get("recording_start"):
        data["recording_start"] = request.POST["recording_start"]
    if request.POST.get("review_clip"):
        data["review_clip"] = request.POST["review_clip"]
    given = VideoJobBatchSerializer(data=data)
    if not given.is_valid():
        return _messages(request, _error_lines(given.errors, data), 400)
    jobs = video_jobs_create(created_by=request.user, **given.validated_data)
    queued = f"{len(jobs)} job{'s' if len(jobs) > 1 else ''} queued for {jobs[0].camera.name}."
    return _messages(request, [queued], 201)


@tenant_page
@vary_on_headers("HX-Request")
def job_page(request, job_id):
    """One job: its live progress and timings, and its venue's dashboard for the footage's day. HTMX polls the
    same address for the live part alone."""
    job = get_object_or_404(VideoJob.objects.select_related("camera", "venue"), pk=job_id)
    slowest_first = sorted(job.stage_seconds.items(), key=lambda item: -item[1])
    stages = [(STAGES.get(stage, stage), seconds) for stage, seconds in slowest_first]
    context = {"job": _described(job), "stages": stages, "can_edit": member_writes(request),
               "lines": job.camera.countinglines.order_by("name"), "audits": job.audits.select_related("line")}  # fmt: skip
    return render(request, "ingest/_job.html" if request.htmx else "ingest/job.html", context)


@tenant_page
@require_POST
def job_cancel(request, job_id):
    return _job_change(request, job_id, video_job_cancel)


@tenant_page
@require_POST
def job_retry(request, job_id):
    return _job_change(request, job_id, video_job_retry, _retry_reason)


def _job_change(request, job_id, change, refusal_of=lambda job: None):
    """Cancel or retry a job: from the queue (HTMX) the answer is the refreshed queue, from the job's page (a plain
    form) a redirect back to it."""
    job = get_object_or_404(VideoJob.objects.all(), pk=job_id)  # another tenant's: 404
    refusal, status = (READ_ONLY, 403) if not member_writes(request) else (refusal_of(job), 400)
    if refusal is None:
        change(job)
    if request.htmx:
        context = {**_queue(request), "refusal": refusal}
        return render(request, "ingest/_queue.html", context, status=200 if refusal is None else status)
    if refusal is not None:
        messages.error(request, refusal)
    return redirect("job-page", job.pk)


@tenant_page
@require_POST
def job_clip_request(request, job_id):
    """'Make a review clip' on the job's page: the finished job runs again with a clip."""
    return _job_change(request, job_id, review_clip_request, _retry_reason)


def _retry_reason(job: VideoJob) -> str | None:
    refusal = video_job_retry_refusal(job)
    return refusal[1] if refusal else None


def _queue(request) -> dict:
    jobs = VideoJob.objects.select_related("camera", "venue").order_by("-created_at", "-pk")
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    for job in page:
        _described(job)
    active = VideoJob.objects.filter(status__in=ACTIVE).exists()
    return {"page": page, "active": active, "can_edit": member_writes(request)}


def _described(job: VideoJob) -> VideoJob:
    """Adds what the templates show: whether it is one of a batch, the footage's name, percent done, video time, speed and time left in words."""
    job.active = job.status in ACTIVE
    job.batch = job.priority == VideoJob.Priority.BATCH
    # a stream's address may carry the camera's credentials
    job.footage = (
        job.get_source_display() if job.source == VideoJob.Source.STREAM else job.original_name or job.source_url
    )
    job.percent = None if job.progress is None else round(job.progress * 100)
    job.video_time = _video_time(job.video_seconds_done, job.video_seconds_total)
    job.speed = f"{job.rate:.1f}x real time" if job.rate else ""
    eta = job.eta_seconds
    job.eta = "" if eta is None else _duration(eta)
    return job


def _video_time(done: float, total: float | None) -> str:
    if total is None:
        return _clock(done) if done else ""
    if total < 60:
        return f"{done:.1f} / {total:.1f} s"
    return f"{_clock(done)} / {_clock(total)}"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _error_lines(errors: dict, data: dict) -> list[str]:
    """The serializer's errors as sentences; those about a file or URL name it."""
    lines = []
    for field, problems in errors.items():
        if field == "camera":
            lines.append("Choose one of your cameras.")
        elif isinstance(problems, dict):  # a list field: {index: [messages]}
            for index, found in problems.items():
                item = getattr(data[field][index], "name", data[field][index])
                lines += [str(m) if item in str(m) else f"{item}: {m}" for m in found]
        else:
            prefix = "Recording start: " if field == "recording_start" else ""
            lines += [f"{prefix}{m}" for m in problems]
    return lines
