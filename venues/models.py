import math
import secrets

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from core.tenancy import TenantOwned
from venues.validators import (
    validate_country_code,
    validate_line,
    validate_opening_hours,
    validate_polygon,
    validate_stream_url,
    validate_time_zone,
)


class Venue(TenantOwned):
    class VenueType(models.TextChoices):
        RETAIL = "retail", "Retail store"
        GROCERY = "grocery", "Grocery / supermarket"
        FASHION = "fashion", "Fashion"
        ELECTRONICS = "electronics", "Electronics"
        PHARMACY = "pharmacy", "Pharmacy"
        RESTAURANT = "restaurant", "Restaurant / café"
        MALL = "mall", "Shopping centre"
        OTHER = "other", "Other"

    venue_lookup = "pk"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Paris.",
    )
    venue_type = models.CharField(max_length=32, choices=VenueType.choices, default=VenueType.RETAIL)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[validate_country_code], help_text="ISO 3166-1 alpha-2 code, e.g. FR."
    )
    latitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    h3_cell = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    opening_hours = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_opening_hours],
        help_text='Per weekday, e.g. {"mon": ["09:00-21:00"], "sun": []}; a day left out is closed.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="venue_unique_slug_per_tenant")]
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.country = self.country.upper()
        if not self.slug:
            self.slug = self._free_slug(slugify(self.name)[:70] or "venue")
        self.h3_cell = (
            h3.latlng_to_cell(self.latitude, self.longitude, settings.H3_RESOLUTION)
            if self.latitude is not None and self.longitude is not None
            else ""
        )
        super().save(*args, **kwargs)

    def _free_slug(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`, ... whichever this tenant does not use yet."""
        taken = set(
            Venue._base_manager.filter(tenant_id=self.tenant_id, slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        return next(slug for n in range(1, len(taken) + 2) if (slug := base if n == 1 else f"{base}-{n}") not in taken)


class BenchmarkReference(TenantOwned):
    """A figure the tenant's own people give for a venue type (last year's conversion of its fashion stores, a
    figure from their association), which the venue comparison measures each venue of that type against. The
    product never supplies one of its own: without a reference there is nothing to compare with."""

    class Figure(models.TextChoices):
        VISITORS_PER_DAY = "visitors_per_day", "Visitors per day"
        CONVERSION = "conversion", "Conversion (transactions per visitor, 0-1)"
        AVERAGE_VISIT_SECONDS = "average_visit_seconds", "Average visit (seconds)"

    venue_lookup = None  # tenant-wide

    venue_type = models.CharField(max_length=16, choices=Venue.VenueType.choices)
    figure = models.CharField(max_length=24, choices=Figure.choices)
    value = models.FloatField()
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the figure comes from, e.g. 'our 2025 average'."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "venue_type", "figure"], name="benchmark_reference_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="benchmark_reference_positive"),
        ]
        ordering = ["venue_type", "figure"]

    def __str__(self):
        return f"{self.get_venue_type_display()}: {self.get_figure_display()} {self.value:g}"

    def clean(self):
        if self.value is None:
            return
        if not math.isfinite(self.value) or self.value <= 0:
            raise ValidationError({"value": "A reference is a positive number."})
        if self.figure == self.Figure.CONVERSION and self.value > 1:
            raise ValidationError({"value": "Conversion is a share of visitors, from 0 to 1 (0.2 is 20 %)."})


def snapshot_path(camera: "Camera", filename: str) -> str:
    """Per tenant, and not guessable: snapshots are never public files, only served by a login-required view."""
    return f"snapshots/{camera.tenant_id}/{camera.pk}-{secrets.token_hex(8)}.jpg"


class Camera(TenantOwned):
    class Role(models.TextChoices):
        ENTRANCE = "entrance", "Entrance"
        FLOOR = "floor", "Shop floor"
        CHECKOUT = "checkout", "Checkout"

    tenant_parent = "venue"

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.FLOOR)
    stream_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_stream_url],
        help_text="Optional live stream, rtsp:// or http(s)://.",
    )

    class PeopleSize(models.TextChoices):
        AUTO = "auto", "Automatic: measured from the footage"
        REGULAR = "regular", "Regular (override): people over ~150 px tall"
        SMALL = "small", "Small (override): a high camera, people 50-100 px tall"

    people_size = models.CharField(
        max_length=8,
        choices=PeopleSize.choices,
        default=PeopleSize.AUTO,
        help_text="How large people appear. Automatic measures them in each video's first second and chooses "
        "how large the detector sees the frames; the other choices override that.",
    )
    detection_scale = models.JSONField(
        null=True, blank=True, editable=False,
        help_text="What the last video job measured and chose (vision.scale.ScaleChoice), with its job and time.",
    )  # fmt: skip
    frame_width = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(16384)])
    frame_height = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(16384)])
    snapshot = models.FileField(
        upload_to=snapshot_path, blank=True, editable=False,
        help_text="The first frame of the camera's last video job, to draw zones and lines on.",
    )  # fmt: skip
    snapshot_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="camera_unique_name_per_venue")]
        ordering = ["venue__name", "name"]

    def __str__(self):
        return f"{self.venue} / {self.name}"

    @property
    def snapshot_url(self) -> str | None:
        """Where a signed-in member sees the snapshot; the version in the query lets browsers cache each one."""
        if not self.snapshot:
            return None
        return f"{reverse('camera-snapshot', args=[self.pk])}?v={int(self.snapshot_at.timestamp())}"


class CameraGeometry(TenantOwned):
    """A named shape drawn on one camera's image, in normalised 0..1 coordinates (x right, y down)."""

    venue_lookup = "camera__venue_id"
    tenant_parent = "camera"

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="%(class)ss")
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="%(class)s_unique_name_per_camera")]
        ordering = ["camera_id", "name"]

    def __str__(self):
        return f"{self.camera} / {self.name}"


class Zone(CameraGeometry):
    """An area of the image: membership is judged by where a person's feet are."""

    class Kind(models.TextChoices):
        AREA = "area", "Area"
        QUEUE = "queue", "Queue"
        CHECKOUT = "checkout", "Checkout"
        ENTRANCE = "entrance", "Entrance"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AREA)
    polygon = models.JSONField(validators=[validate_polygon], help_text="[[x, y], ...], at least 3 points, 0..1.")


class CountingLine(CameraGeometry):
    """A line across the image; crossing it towards `in_side` counts as coming in."""

    class Side(models.TextChoices):
        LEFT = "left", "Left of start → end"
        RIGHT = "right", "Right of start → end"

    points = models.JSONField(validators=[validate_line], help_text="[[x1, y1], [x2, y2]] in 0..1.")
    in_side = models.CharField(
        max_length=8,
        choices=Side.choices,
        default=Side.LEFT,
        help_text="Walking from the first point to the second, the side of the line that is 'inside'.",
    )
