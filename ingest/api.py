from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from ingest.models import VideoJob
from ingest.serializers import VideoJobBatchSerializer, VideoJobCreateSerializer, VideoJobSerializer
from ingest.services import video_job_cancel, video_job_create, video_job_retry
from venues.api import camera_filter, venue_filter


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
    stops it within about a second; `retry` runs it again and replaces its events.
    """

    serializer_class = VideoJobSerializer
    create_serializer_class = VideoJobCreateSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        jobs = camera_filter(self, venue_filter(self, VideoJob.objects.select_related("camera")))
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
            recording_start=data.get("recording_start"),
        )  # fmt: skip
        return Response(VideoJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VideoJobBatchSerializer, responses={201: VideoJobSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Several files and/or URLs at once (all checked first: one bad item creates no job)."""
        given = VideoJobBatchSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        data = given.validated_data
        common = dict(camera=data["camera"], created_by=_user(request), recording_start=data.get("recording_start"))
        with transaction.atomic():
            jobs = [video_job_create(source=VideoJob.Source.UPLOAD, upload=f, **common) for f in data.get("files", [])]
            jobs += [video_job_create(source=VideoJob.Source.URL, source_url=u, **common) for u in data.get("urls", [])]
        return Response(VideoJobSerializer(jobs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=VideoJobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(VideoJobSerializer(video_job_cancel(self.get_object())).data)

    @extend_schema(request=None, responses=VideoJobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        job = self.get_object()
        if job.status not in VideoJob.FINISHED:
            raise ValidationError({"status": f"Only a finished job can be retried; this one is {job.status}."})
        if job.source == VideoJob.Source.UPLOAD and not (job.upload and job.upload.storage.exists(job.upload.name)):
            raise ValidationError({"source": "The uploaded file of this job is no longer stored."})
        return Response(VideoJobSerializer(video_job_retry(job)).data)


def _user(request):
    return request.user if request.user.is_authenticated else None
