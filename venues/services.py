import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from venues.models import BenchmarkReference, Camera

SNAPSHOT_MAX_WIDTH = 1280
SNAPSHOT_JPEG_QUALITY = 80


def camera_detection_scale_save(camera: Camera, choice: dict, job_id: int) -> None:
    """Keep how a job's detector saw the camera's people (vision.scale.ScaleChoice.as_dict(), and the height of the
    smaller people over the whole video), for the camera page and as the next job's starting point."""
    scale = {**choice, "job": job_id, "measured_at": timezone.now().isoformat()}
    Camera.objects.filter(pk=camera.pk).update(detection_scale=scale)
    camera.detection_scale = scale


def camera_snapshot_save(camera: Camera, image: np.ndarray) -> Camera:
    """Keep a video frame (BGR) as the camera's snapshot, the picture its zones and lines are drawn on: a JPEG at
    most 1280 px wide, replacing the previous one (whose file is deleted once this is committed). A camera
    without a frame size gets the frame's."""
    height, width = image.shape[:2]
    if width > SNAPSHOT_MAX_WIDTH:
        size = (SNAPSHOT_MAX_WIDTH, round(height * SNAPSHOT_MAX_WIDTH / width))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, SNAPSHOT_JPEG_QUALITY])
    if not ok:
        raise ValueError("The frame could not be encoded as a JPEG.")
    with transaction.atomic():  # locked: two jobs of one camera must not both keep, or both delete, one file
        camera = Camera.objects.select_for_update().get(pk=camera.pk)
        previous = camera.snapshot.name
        camera.snapshot.save("snapshot.jpg", ContentFile(jpeg.tobytes()), save=False)
        camera.snapshot_at = timezone.now()
        camera.frame_width, camera.frame_height = camera.frame_width or width, camera.frame_height or height
        camera.save(update_fields=["snapshot", "snapshot_at", "frame_width", "frame_height"])
        if previous:
            transaction.on_commit(lambda: camera.snapshot.storage.delete(previous))
    return camera


def benchmark_references_set(tenant, venue_type: str, values: dict, source: str) -> None:
    """Store a venue type's reference figures (`values`: figure -> value in stored units; None removes it)."""
    with transaction.atomic():
        for figure, value in values.items():
            if value is None:
                BenchmarkReference.objects.filter(venue_type=venue_type, figure=figure).delete()
            else:
                BenchmarkReference.objects.update_or_create(
                    tenant=tenant, venue_type=venue_type, figure=figure, defaults={"value": value, "source": source}
                )
