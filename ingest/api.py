from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.renderers import own_bytes_renderer
from ingest import edge
from ingest.clip_views import clip_response
from ingest.models import ReviewClip, VideoJob
from ingest.serializers import (
    CountAuditSerializer,
    VideoJobBatchSerializer,
    VideoJobCreateSerializer,
    VideoJobSerializer,
)
from ingest.services import (
    AuditRefused,
    count_audit_record,
    review_clip_request,
    video_job_cancel,
    video_job_create,
    video_job_retry,
    video_job_retry_refusal,
    video_jobs_create,
)
from ingest.writer import rows_write
from venues.api import camera_filter, venue_filter
from venues.models import Venue


@extend_schema_view(
    list=extend_schema(
        parameters=[
            venue_filter.parameter,
            camera_filter.parameter,
            OpenApiParameter("status", str, enum=VideoJob.Status.values, description="Only jobs in this state."),
        ]
    ),
    create=extend_schema(request=VideoJobCreateSerializer, responses={201: VideoJobSerializer}),
)
class VideoJobViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Video processing jobs: footage of one camera (an upload, a URL or the live stream) turned into visits.

    Poll a job for its progress (`progress`, `rate` in video seconds per second, `eta_seconds`); `cancel`
    stops it within about a second; `retry` runs it again and replaces its events. A review clip (its first
    minutes with the people, zones, lines and counts drawn on) is made by every run of a job created with
    `review_clip: true`, or by `POST .../{id}/clip/` on a finished job, which runs it again with one.
    """

    serializer_class = VideoJobSerializer
    create_serializer_class = VideoJobCreateSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        jobs = camera_filter(self, venue_filter(self, VideoJob.objects.select_related("camera", "review_clip")))
        wanted = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in VideoJob.Status.values:
                raise ValidationError({"status": f"Unknown status {wanted!r}; use one of {VideoJob.Status.values}."})
            jobs = jobs.filter(status=wanted)
        return jobs

    def create(self, request, *args, **kwargs):
        given = self.create_serializer_class(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        data = given.validated_data
        source = (
            VideoJob.Source.UPLOAD
            if data.get("file")
            else VideoJob.Source.URL
            if data.get("url")
            else VideoJob.Source.STREAM
        )
        job = video_job_create(
            camera=data["camera"], source=source, created_by=_user(request), upload=data.get("file"),
            source_url=data.get("url") or (data["camera"].stream_url if source == VideoJob.Source.STREAM else ""),
            recording_start=data.get("recording_start"), review_clip=data["review_clip"],
        )  # fmt: skip
        return Response(VideoJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VideoJobBatchSerializer, responses={201: VideoJobSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Several files and/or URLs at once (all checked first: one bad item creates no job)."""
        given = VideoJobBatchSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        jobs = video_jobs_create(created_by=_user(request), **given.validated_data)
        return Response(VideoJobSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=CountAuditSerializer(many=True))
    @extend_schema(methods=["POST"], request=CountAuditSerializer, responses={201: CountAuditSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=CountAuditSerializer, pagination_class=None)
    def audits(self, request, pk=None):
        """GET: the job's count audits. POST: a person's count of a line's crossings between `start_seconds` and
        `end_seconds` of the footage (as counted on the review clip); the answer adds the product's own count of
        the same stretch."""
        job = self.get_object()
        if request.method == "GET":
            return Response(CountAuditSerializer(job.audits.all(), many=True).data)
        given = CountAuditSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        try:
            audit = count_audit_record(job, created_by=_user(request), **given.validated_data)
        except AuditRefused as refusal:
            raise ValidationError({"non_field_errors": [str(refusal)]}) from refusal
        return Response(CountAuditSerializer(audit).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(VideoJobSerializer(video_job_cancel(self.get_object())).data)

    @extend_schema(request=None, responses=VideoJobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return Response(VideoJobSerializer(video_job_retry(self._finished_job())).data)

    @extend_schema(
        methods=["GET"], responses={(200, "video/mp4"): OpenApiTypes.BINARY, (206, "video/mp4"): OpenApiTypes.BINARY}
    )
    @extend_schema(methods=["POST"], request=None, responses=VideoJobSerializer)
    @action(detail=True, methods=["get", "post"], url_path="clip", url_name="clip-request",
            renderer_classes=[JSONRenderer, own_bytes_renderer("video/mp4", "mp4")])  # fmt: skip
    def clip(self, request, pk=None):
        """GET: the job's review clip (MP4, with byte ranges), a 404 until a run with `clip_requested` has made
        one or once it has expired. POST: make one of a finished job: it runs again (replacing its events, as
        `retry` does) and draws its first minutes."""
        if request.method == "GET":
            return clip_response(request, get_object_or_404(ReviewClip.objects.all(), job=self.get_object()))
        return Response(VideoJobSerializer(review_clip_request(self._finished_job())).data)

    def _finished_job(self) -> VideoJob:
        """The addressed job, if it can run again (else a 400 saying why)."""
        job = self.get_object()
        if refusal := video_job_retry_refusal(job):
            field, reason = refusal
            raise ValidationError({field: reason})
        return job


def _user(request):
    return request.user if request.user.is_authenticated else None


class EdgeEventsView(APIView):
    """Events from edge devices, in batches of up to 5,000.

    The tenant comes from the API key (or session); a key limited to one venue writes to that venue only.
    Each event has the device's own `id`: a retried batch is answered with duplicates, not stored twice.
    One bad event is rejected with its reason and the others are stored.
    """

    @extend_schema(
        request={"application/json": edge.batch_schema()},
        responses={200: inline_serializer("EdgeEventsResult", {
            "accepted": serializers.IntegerField(), "duplicates": serializers.IntegerField(),
            "rejected": serializers.ListField(child=serializers.DictField(), help_text="index, id, field, message"),
        })},
    )  # fmt: skip
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object with device, venue and events."]})
        errors = {}
        try:
            device = edge.field_value(body, "device", edge.device_id)
        except edge.Reject as reason:
            errors["device"] = [reason.message]
        events = body.get("events")
        if not isinstance(events, list) or not events:
            errors["events"] = ["must be a non-empty list of events"]
        elif len(events) > edge.MAX_EVENTS:
            errors["events"] = [f"at most {edge.MAX_EVENTS} events per batch, got {len(events)}"]
        venue_id = body.get("venue", getattr(request.auth, "venue_id", None))
        if venue_id is None:
            errors["venue"] = ["is required (or use an API key limited to one venue)"]
        elif not isinstance(venue_id, int) or isinstance(venue_id, bool):
            errors["venue"] = ["must be a venue id"]
        camera_id = body.get("camera")
        if camera_id is not None and (not isinstance(camera_id, int) or isinstance(camera_id, bool)):
            errors["camera"] = ["must be a camera id"]
        if errors:
            raise ValidationError(errors)
        venue = get_object_or_404(Venue.objects.all(), pk=venue_id)
        if camera_id is not None and not venue.cameras.filter(pk=camera_id).exists():
            raise ValidationError({"camera": [f"no camera {camera_id} in this venue"]})
        rows, rejected = edge.rows_from_device(device, venue, camera_id, events, edge.context_for(venue))
        written = rows_write(venue, rows)
        return Response({"accepted": written.accepted, "duplicates": written.duplicates, "rejected": rejected})
