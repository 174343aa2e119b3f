from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from ingest.models import CountAudit, ReviewClip, VideoJob
from ingest.services import venue_local
from venues.models import Camera, CountingLine
from venues.serializers import ScopedRelatedField
from venues.validators import validate_stream_url
from vision.egress import UnsafeUrl, check_url
from vision.sources import VIDEO_SUFFIXES

# The first bytes of the containers OpenCV/FFmpeg decode here (checked besides the file name).
_SIGNATURES = (
    (4, b"ftyp"),  # MP4, MOV, M4V
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska, WebM
    (0, b"RIFF"),  # AVI
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
)
_TS_PACKET = 188  # MPEG transport stream: a 0x47 sync byte starts every 188-byte packet


def _is_video_container(head: bytes) -> bool:
    if any(head[offset : offset + len(magic)] == magic for offset, magic in _SIGNATURES):
        return True
    return len(head) > 2 * _TS_PACKET and all(head[i] == 0x47 for i in (0, _TS_PACKET, 2 * _TS_PACKET))


def validate_video_upload(upload) -> None:
    name = upload.name or ""
    if not name.lower().endswith(VIDEO_SUFFIXES):
        raise serializers.ValidationError(f"{name!r} is not a video file: use one of {', '.join(VIDEO_SUFFIXES)}.")
    head = upload.read(3 * _TS_PACKET)
    upload.seek(0)
    if not _is_video_container(head):
        raise serializers.ValidationError(
            f"{name!r} does not look like a video (its content is not a video container)."
        )


def validate_video_url(url: str) -> None:
    try:
        check_url(
            url, schemes=("http", "https"), allowed_hosts=settings.VIDEO_URL_ALLOWED_HOSTS,
            allow_private=settings.VIDEO_URL_ALLOW_PRIVATE,
        )  # fmt: skip
    except UnsafeUrl as error:
        raise serializers.ValidationError(str(error)) from error


class ReviewClipSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The MP4 (H.264), for a logged-in browser; byte ranges work.")

    class Meta:
        model = ReviewClip
        fields = ["url", "frames", "duration_seconds", "width", "height", "size_bytes", "faces_blurred",
                  "created_at", "expires_at"]  # fmt: skip
        read_only_fields = fields

    def get_url(self, clip) -> str:
        return reverse("job-clip-request", args=[clip.job_id])  # GET: the MP4


class VideoJobSerializer(serializers.ModelSerializer):
    clip = ReviewClipSerializer(
        source="review_clip", read_only=True, allow_null=True,
        help_text="The annotated review clip, once a run with `clip_requested` has made one (until it expires).",
    )  # fmt: skip
    progress = serializers.FloatField(read_only=True, allow_null=True, help_text="0..1, when the length is known.")
    eta_seconds = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Estimated seconds left at the current rate."
    )

    class Meta:
        model = VideoJob
        fields = [
            "id", "venue", "camera", "source", "source_url", "original_name", "recording_start", "status",
            "progress", "eta_seconds", "frames_done", "frames_total", "video_seconds_done", "video_seconds_total",
            "rate", "visits_found", "error", "warning", "stage_seconds", "attempts", "created_at", "started_at", "finished_at",
            "cancel_requested_at", "clip_requested", "priority", "clip",
        ]  # fmt: skip
        read_only_fields = fields


class VenueLocalDateTimeField(serializers.DateTimeField):
    """Leaves a time without a time zone naive, for the serializer to read in the venue's time zone."""

    def enforce_timezone(self, value):
        return value if timezone.is_naive(value) else super().enforce_timezone(value)


class _JobInput(serializers.Serializer):
    camera = ScopedRelatedField(Camera)
    recording_start = VenueLocalDateTimeField(
        required=False, allow_null=True,
        help_text="When the footage starts. Without a time zone: the venue's local time. Default: the file's own "
        "recording time, else the upload time.",
    )  # fmt: skip
    review_clip = serializers.BooleanField(
        required=False, default=False,
        help_text=f"Also make an annotated review clip of the first {settings.REVIEW_CLIP_SECONDS:g} s of footage.",
    )  # fmt: skip

    def validate(self, attrs):
        if attrs.get("recording_start"):
            attrs["recording_start"] = venue_local(attrs["recording_start"], attrs["camera"].venue)
        return attrs


class VideoJobCreateSerializer(_JobInput):
    """Exactly one of: `file` (multipart upload), `url` (a video page or file link), `stream` (the camera's)."""

    file = serializers.FileField(required=False, validators=[validate_video_upload])
    url = serializers.URLField(required=False, max_length=1000, validators=[validate_video_url])
    stream = serializers.BooleanField(required=False, default=False, help_text="Read the camera's live stream.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        given = [name for name in ("file", "url") if attrs.get(name)] + (["stream"] if attrs.get("stream") else [])
        if len(given) != 1:
            raise serializers.ValidationError({"non_field_errors": ["Give exactly one of: file, url, or stream=true."]})
        if attrs.get("stream"):
            camera = attrs["camera"]
            if not camera.stream_url:
                raise serializers.ValidationError({"stream": [f"Camera {camera.name!r} has no stream URL."]})
            try:
                validate_stream_url(camera.stream_url)
            except DjangoValidationError as error:
                raise serializers.ValidationError({"stream": error.messages}) from error
        return attrs


class VideoJobBatchSerializer(_JobInput):
    """Several files and/or URLs for one camera: all are checked before any job is created."""

    files = serializers.ListField(child=serializers.FileField(validators=[validate_video_upload]), required=False)
    urls = serializers.ListField(
        child=serializers.URLField(max_length=1000, validators=[validate_video_url]), required=False
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        count = len(attrs.get("files", [])) + len(attrs.get("urls", []))
        if count == 0:
            raise serializers.ValidationError({"non_field_errors": ["Give at least one file or URL."]})
        if count > settings.VIDEO_BATCH_MAX:
            raise serializers.ValidationError(
                {"non_field_errors": [f"At most {settings.VIDEO_BATCH_MAX} files and URLs per batch, got {count}."]}
            )
        return attrs


class CountAuditSerializer(serializers.ModelSerializer):
    """A person's count of a line's crossings in a stretch of the job's footage; the product's count of the same
    stretch (`measured_in`, `measured_out`) is filled in by the server."""

    line = ScopedRelatedField(CountingLine)
    counted_in = serializers.IntegerField(min_value=0, max_value=100000)
    counted_out = serializers.IntegerField(min_value=0, max_value=100000)

    class Meta:
        model = CountAudit
        fields = ["id", "job", "line", "start_seconds", "end_seconds", "counted_in", "counted_out", "measured_in",
                  "measured_out", "created_at"]  # fmt: skip
        read_only_fields = ["job", "measured_in", "measured_out", "created_at"]
