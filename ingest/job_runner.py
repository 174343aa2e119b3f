"""Runs a video job: its footage through the vision pipeline, the events through the writer.

This is the bridge between the pure pipeline (`vision/`) and the database: it builds the camera's
geometry and the detector from settings, saves progress about once a second, honours cancellation, and
stores the job's events so that a re-run replaces them.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import Tenant
from core.tenancy import all_tenants
from ingest.models import VideoJob
from ingest.services import review_clip_save
from ingest.signals import footage_stored
from ingest.writer import Origin, events_write, job_events_clear
from venues.models import Camera
from venues.services import camera_detection_scale_save, camera_snapshot_save
from vision.annotate import faces_blur
from vision.clips import ReviewClipRecorder
from vision.egress import address_policy
from vision.events import Event, VisitEnded
from vision.faces import FACE_PX_NEEDED, FACE_SHARE_OF_HEIGHT, FaceAnalyzer, TrackFaceSampler
from vision.geometry import Line, SceneGeometry, Zone
from vision.pipeline import Pipeline, PipelineConfig, Progress
from vision.scale import AutoScaledTracker, ScaleChoice, override_choice, scale_for
from vision.sources import DownloadLimits, Frame, SourceError, StreamSource, VideoFileSource, download_video
from vision.tracking import TrackerConfig, tracker_factory
from vision.weights import ModelStore, ultralytics_offline

logger = logging.getLogger(__name__)
STREAM_FLUSH_SECONDS = 1.0
SNAPSHOT_WAIT_FRAMES = 16  # analysed frames (2 s at 8 fps) a snapshot waits for someone to be tracked
FRAMES_READ_ENOUGH = 0.9  # a file read to less than this share of its claimed frames gets a warning
NOBODY_DETECTED = (
    "No people detected; the camera may be too far or blocked. Check the camera's snapshot: a black or covered "
    "picture, a wall, or people smaller than about 30 px tall cannot be counted."
)


class JobCancelled(Exception):
    pass


def scene_geometry(camera) -> tuple[SceneGeometry, dict[str, int], dict[str, int]]:
    """The camera's zones and lines for the pipeline, and their ids by name for the writer."""
    zones = list(camera.zones.all())
    lines = list(camera.countinglines.all())
    geometry = SceneGeometry(
        zones=tuple(Zone(z.name, z.kind, tuple(tuple(p) for p in z.polygon)) for z in zones),
        lines=tuple(Line(ln.name, tuple(ln.points[0]), tuple(ln.points[1]), ln.in_side) for ln in lines),
    )
    return geometry, {z.name: z.pk for z in zones}, {ln.name: ln.pk for ln in lines}


@lru_cache(maxsize=1)
def person_trackers():
    """The worker process's trackers by input size and people size (vision.tracking.tracker_factory); a vision
    worker runs one job at a time, and each run starts by resetting the tracks."""
    if settings.VISION_OFFLINE:
        ultralytics_offline()
    store = ModelStore(Path(settings.VISION_MODEL_DIR), Path(settings.VISION_CACHE_DIR))
    return tracker_factory(TrackerConfig(**settings.VISION_TRACKER), store)


@lru_cache(maxsize=1)
def _face_analyzer() -> FaceAnalyzer:
    return FaceAnalyzer.from_model_dir(settings.VISION_MODEL_DIR)


def build_pipeline(
    geometry: SceneGeometry,
    frame_size: tuple[int, int],
    people_size: str = Camera.PeopleSize.AUTO,
    face_processing: str = "returning",
    prior: ScaleChoice | None = None,
) -> Pipeline:
    """The product's pipeline for one run, configured from settings, the camera's people size (automatic, or an
    override), the camera's earlier measure (`prior`) and the tenant's face processing choice
    (`Tenant.FaceProcessing`: off, demographics only without embeddings, or returning visitors too)."""
    max_pixels = settings.VISION_MAX_INPUT_PIXELS
    override = override_choice(people_size, frame_size, max_pixels)
    tracker = AutoScaledTracker(frame_size, person_trackers(), max_pixels, prior=prior, override=override)
    faces = None
    if settings.VISION_FACES and face_processing != Tenant.FaceProcessing.OFF:
        analyzer = _face_analyzer()
        if face_processing == Tenant.FaceProcessing.DEMOGRAPHICS:  # the same models, without the embedder
            analyzer = FaceAnalyzer(analyzer.detector, age_gender=analyzer.age_gender, min_quality=analyzer.min_quality)
        faces = TrackFaceSampler(analyzer)
    return Pipeline(tracker, geometry, faces=faces, config=PipelineConfig())


def pipeline_for(camera, frame_size: tuple[int, int]) -> tuple[Pipeline, dict[str, int], dict[str, int]]:
    geometry, zone_ids, line_ids = scene_geometry(camera)
    tenant = Tenant.objects.get(pk=camera.tenant_id)
    measure = camera.detection_scale or {}
    people_height = measure.get("people_height_seen") or measure.get("people_height")
    prior = (
        None
        if people_height is None
        else scale_for(frame_size, people_height, settings.VISION_MAX_INPUT_PIXELS, "camera")
    )
    pipeline = build_pipeline(geometry, frame_size, camera.people_size, tenant.face_processing, prior)
    return pipeline, zone_ids, line_ids


@contextmanager
def footage(job: VideoJob, stop: threading.Event):
    """The job's frame source: the uploaded file, the downloaded URL, or the live stream; outside addresses are
    checked again at every connection (vision.egress), whatever was checked when the job was made."""
    allowed = address_policy(settings.VIDEO_URL_ALLOW_PRIVATE)
    if job.source == VideoJob.Source.UPLOAD:
        yield VideoFileSource(job.upload.path)
    elif job.source == VideoJob.Source.URL:
        limits = DownloadLimits(settings.VIDEO_URL_MAX_BYTES, settings.VIDEO_URL_MAX_SECONDS)
        with tempfile.TemporaryDirectory(prefix="video-job-") as folder:
            yield VideoFileSource(download_video(job.source_url, Path(folder), limits, allowed))
    else:
        yield StreamSource(job.source_url, stop, allowed)


class CameraSnapshot:
    """Keeps a frame of the job as the camera's snapshot: the first one in which someone is tracked, or else the
    SNAPSHOT_WAIT_FRAMES-th, so that the heads of the people in it are blurred when the tenant blurs faces in
    clips. It is the pipeline's per-frame callback rather than a wrapper of the frames because frames are decoded
    in the pipeline's own thread, which has neither the tenant scope nor the job's database connection. A
    snapshot that cannot be stored is logged, not a lost job."""

    def __init__(self, camera: Camera, blur_faces: bool):
        self.camera, self.blur_faces = camera, blur_faces
        self.seen, self.taken = 0, False

    def __call__(self, frame: Frame, tracks) -> None:
        self.seen += 1
        if self.taken or (not tracks and self.seen < SNAPSHOT_WAIT_FRAMES):
            return
        self.taken = True
        image = frame.image
        if self.blur_faces:
            image = image.copy()
            faces_blur(image, [box for _, box in tracks])
        try:
            camera_snapshot_save(self.camera, image)
        except OSError:
            logger.exception("camera %s: the snapshot could not be stored", self.camera.pk)


class _EachFrame:
    """Several per-frame callbacks as the pipeline's one `on_tracks` (None for a callback not wanted)."""

    def __init__(self, *callbacks):
        self.callbacks = [callback for callback in callbacks if callback is not None]

    def __call__(self, frame: Frame, tracks) -> None:
        for callback in self.callbacks:
            callback(frame, tracks)


@contextmanager
def _review_clip(job: VideoJob, frame_size: tuple[int, int]):
    """The recorder of the job's review clip, or None when the job asks for none. The clip is stored when the run
    ends without an error (a cancelled run keeps what it saw); the temporary file goes in any case."""
    if not job.clip_requested:
        yield None
        return
    blur = job.tenant.blur_faces_in_clips
    geometry, _, _ = scene_geometry(job.camera)
    with tempfile.TemporaryDirectory(prefix="review-clip-") as folder:
        recorder = ReviewClipRecorder(
            Path(folder) / f"{job.pk}.mp4", geometry, frame_size, seconds=settings.REVIEW_CLIP_SECONDS,
            fps=settings.VISION_ANALYSIS_FPS, blur_faces=blur,
        )  # fmt: skip
        with recorder:
            yield recorder
        if recorder.info is not None:
            review_clip_save(job, recorder.path, recorder.info, faces_blurred=blur)


class _Reporter:
    """Saves progress about once a second and notices a cancellation request at the same pace."""

    def __init__(self, job: VideoJob, on_save: Callable[[VideoJob], None] | None):
        self.job, self.on_save = job, on_save
        self.started = time.monotonic()
        self.saved = 0.0
        self.cancelled = False

    def __call__(self, progress: Progress, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.saved < settings.VIDEO_JOB_PROGRESS_SECONDS:
            return
        self.saved = now
        job = self.job
        job.frames_done = progress.frames_done
        job.video_seconds_done = round(progress.video_seconds_done, 2)
        job.rate = round(progress.video_seconds_done / max(now - self.started, 1e-6), 3)
        job.visits_found = progress.visits
        job.stage_seconds = {stage: round(seconds, 3) for stage, seconds in progress.stage_seconds.items()}
        fields = ["frames_done", "video_seconds_done", "rate", "visits_found", "stage_seconds"]
        VideoJob.objects.filter(pk=job.pk).update(**{f: getattr(job, f) for f in fields})
        self.cancelled = VideoJob.objects.filter(pk=job.pk, cancel_requested_at__isnull=False).exists()
        if self.on_save:
            self.on_save(job)

    def should_stop(self) -> bool:
        return self.cancelled


def _claim(job: VideoJob) -> bool:
    """Take the job for this run: it must be queued, or running with a heartbeat that stopped (its worker died).
    A second delivery of the task while another worker runs the job finds it claimed and leaves it."""
    now = timezone.now()
    claimable = Q(status=VideoJob.Status.QUEUED) | VideoJob.worker_lost(now)
    claimed = VideoJob.objects.filter(claimable, pk=job.pk).update(
        status=VideoJob.Status.RUNNING, started_at=now, heartbeat_at=now, error="", warning="",
        attempts=F("attempts") + 1,
    )  # fmt: skip
    job.refresh_from_db()
    return bool(claimed)


@contextmanager
def _heartbeat(job: VideoJob):
    """Marks the job alive every VIDEO_JOB_HEARTBEAT_SECONDS while it runs, from a thread of its own: a download or
    a slow model load saves no progress, yet the worker is alive. The thread has its own database connection."""
    stop = threading.Event()

    def beat() -> None:
        with all_tenants():
            while not stop.wait(settings.VIDEO_JOB_HEARTBEAT_SECONDS):
                try:
                    VideoJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("video job %s: heartbeat not saved", job.pk, exc_info=True)
        connection.close()

    thread = threading.Thread(target=beat, name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def video_job_fail(job: VideoJob, reason: str) -> None:
    _finish(job, VideoJob.Status.FAILED, reason)


def _finish(job: VideoJob, status: str, error: str = "") -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save(update_fields=["status", "error", "warning", "finished_at"])


def video_job_run(job: VideoJob, on_progress: Callable[[VideoJob], None] | None = None) -> VideoJob:
    """Process a job's footage and store its events (replacing an earlier attempt's). Failures are recorded
    on the job with a plain reason, but for database errors, which propagate to the task's retry.
    `on_progress` sees the job each time its progress is saved (about once a second)."""
    if job.status in VideoJob.FINISHED:
        return job
    if job.cancel_requested_at:
        _finish(job, VideoJob.Status.CANCELLED)
        return job
    if not _claim(job):
        return job
    stop = threading.Event()
    reporter = _Reporter(job, on_progress)
    try:
        with _heartbeat(job), footage(job, stop) as source:
            info = source.info
            job.frames_total = (
                round(info.frame_count * settings.VISION_ANALYSIS_FPS / info.fps) if info.frame_count else None
            )
            job.video_seconds_total = info.duration
            if job.recording_start is None:
                job.recording_start = info.recorded_at or job.created_at
            job.save(update_fields=["frames_total", "video_seconds_total", "recording_start"])
            pipeline, zone_ids, line_ids = pipeline_for(job.camera, (info.width, info.height))
            tenant = job.tenant
            origin = Origin(f"job:{job.pk}", job.tenant_id, job.venue_id, job.camera_id, job.pk)
            with _review_clip(job, (info.width, info.height)) as clip:
                live = job.source == VideoJob.Source.STREAM
                events = pipeline.run(
                    source.frames(settings.VISION_ANALYSIS_FPS), job.recording_start, (info.width, info.height),
                    on_frame=reporter, should_stop=lambda: reporter.should_stop() or stop.is_set(),
                    on_tracks=_EachFrame(CameraSnapshot(job.camera, tenant.blur_faces_in_clips), clip),
                    second_pass=not live,
                )  # fmt: skip
                if clip is not None:
                    events = clip.counted(events)
                if live:
                    _write_as_they_come(origin, events, zone_ids, line_ids)
                else:
                    collected = pipeline.stitched(list(events))
                    with transaction.atomic():
                        job_events_clear(job)
                        events_write(origin, collected, zone_ids, line_ids)
        reporter(pipeline.progress, force=True)
        if pipeline.progress.frames_done == 0 and not reporter.cancelled:
            raise SourceError("No frame of the video could be decoded: the file may be incomplete or damaged.")
        job.warning = " ".join(filter(None, [_ended_early(job, pipeline.progress, reporter.cancelled),
                                             "" if pipeline.progress.visits else NOBODY_DETECTED]))  # fmt: skip
        if (scale := pipeline.tracker.choice) is not None:
            camera_detection_scale_save(job.camera, {**scale.as_dict(), **_people_seen(pipeline, info.height)}, job.pk)
    except SourceError as error:
        video_job_fail(job, str(error))
        return job
    except OperationalError:
        raise  # the database: transient, the task retries
    except Exception as error:
        logger.exception("video job %s failed", job.pk)
        video_job_fail(job, f"Processing failed ({type(error).__name__}: {error}).")
        return job
    if reporter.cancelled and job.source != VideoJob.Source.STREAM:
        _finish(job, VideoJob.Status.CANCELLED, "Cancelled; the visits seen before cancelling were kept.")
    else:
        _finish(job, VideoJob.Status.SUCCEEDED)
    if job.source != VideoJob.Source.STREAM:
        transaction.on_commit(lambda: footage_stored.send_robust(sender=VideoJob, job=job))
    return job


def _ended_early(job: VideoJob, progress: Progress, cancelled: bool) -> str:
    """A file whose frames ran out well before the length its container claims (truncated or damaged)."""
    if cancelled or job.source == VideoJob.Source.STREAM or not job.frames_total:
        return ""
    if progress.frames_done >= FRAMES_READ_ENOUGH * job.frames_total:
        return ""
    return (f"The video ended early: {progress.frames_done} of its {job.frames_total} frames could be read, so the "
            "file may be truncated or damaged; its counts cover the part that was read.")  # fmt: skip


def _people_seen(pipeline: Pipeline, frame_height: int) -> dict:
    """How large the job's people were: the smaller ones' height (the camera's measure for its next job) and the
    typical face's, against the size faces need for age, gender and recognition (the dashboard says so when a
    camera's faces are too small)."""
    median = pipeline.tracker.people_height_seen(50)
    return {
        "people_height_seen": pipeline.tracker.people_height_seen(),
        "face_px": None if median is None else round(median * frame_height * FACE_SHARE_OF_HEIGHT),
        "face_px_needed": FACE_PX_NEEDED,
    }


def _write_as_they_come(origin: Origin, events, zone_ids, line_ids) -> None:
    """Live streams: store events about once a second, so dashboards see visitors while they are there."""
    batch: list[Event] = []
    flushed = time.monotonic()
    for event in events:
        batch.append(event)
        if time.monotonic() - flushed >= STREAM_FLUSH_SECONDS or isinstance(event, VisitEnded):
            events_write(origin, batch, zone_ids, line_ids)
            batch, flushed = [], time.monotonic()
    events_write(origin, batch, zone_ids, line_ids)
