"""Who uses the product: tenants (customer organisations), their members' roles and their API keys."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.tenancy import TenantOwned
from core.validators import LOYALTY_TIERS, default_loyalty_tiers, validate_loyalty_tiers


class Tenant(models.Model):
    """A customer organisation; everything a store team sees belongs to exactly one tenant."""

    class FaceProcessing(models.TextChoices):
        OFF = "off", "Off: no face is analysed"
        DEMOGRAPHICS = "demographics", "Age and gender only: no face embedding is computed"
        RETURNING = "returning", "Age, gender and returning visitors (face embeddings)"

    class ReidScope(models.TextChoices):
        VENUE = "venue", "Per venue: a visitor is recognised only in the venue where they were seen"
        TENANT = "tenant", "Across all the tenant's venues"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    face_processing = models.CharField(
        max_length=16, choices=FaceProcessing.choices, default=FaceProcessing.RETURNING,
        help_text="Switching away from returning visitors erases every stored face embedding of the tenant.",
    )  # fmt: skip
    reid_scope = models.CharField(max_length=8, choices=ReidScope.choices, default=ReidScope.VENUE)
    embedding_retention_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Face embeddings are deleted this many days after they were stored.",
    )  # fmt: skip
    loyalty_window_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="Loyalty tiers count a visitor's visit days within this many days.",
    )  # fmt: skip
    loyalty_tiers = models.JSONField(
        default=default_loyalty_tiers, validators=[validate_loyalty_tiers],
        help_text="Fewest visit days in the window for each tier above 'new', e.g. "
        '{"occasional": 2, "regular": 4, "loyal": 8, "vip": 15}.',
    )  # fmt: skip
    blur_faces_in_clips = models.BooleanField(
        default=True, help_text="Blur the heads of the people in annotated review clips of video jobs."
    )
    clip_retention_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Review clips are deleted this many days after they were made.",
    )  # fmt: skip

    class Meta:
        db_table = "venues_tenant"  # made by the venues app, which held tenants first
        ordering = ["name"]

    def __str__(self):
        return self.name

    def loyalty_tier(self, visit_days: int) -> str:
        """The tier of a visitor with this many visit days in the loyalty window."""
        reached = [tier for tier in LOYALTY_TIERS[1:] if visit_days >= self.loyalty_tiers[tier]]
        return reached[-1] if reached else LOYALTY_TIERS[0]


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"  # everything, including API keys
        ANALYST = "analyst", "Analyst"  # reads and edits venues, cameras and their geometry
        VIEWER = "viewer", "Viewer"  # reads only

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "venues_membership"
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")]
        ordering = ["tenant__name"]

    def __str__(self):
        return f"{self.user} in {self.tenant} ({self.get_role_display()})"


class ApiKey(TenantOwned):
    """A key for edge devices and integrations. Only `prefix` and a hash of the whole key are kept."""

    class Scope(models.TextChoices):
        """What a key may do (core.permissions). A new key is `ingest` unless chosen otherwise: most keys go to
        edge devices, which only send, so a key taken from a device can neither read nor delete anything."""

        INGEST = "ingest", "Ingest: sends events and sales only"
        READ = "read", "Read: reads everything, changes nothing"
        FULL = "full", "Full: reads and writes everything but API keys"

    venue = models.ForeignKey(
        "venues.Venue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
        help_text="Limit the key to this venue; empty: every venue of the tenant.",
    )
    name = models.CharField(max_length=120)
    scope = models.CharField(
        max_length=8, choices=Scope.choices, default=Scope.INGEST, help_text="What the key may do; fixed once made."
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=128, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "venues_apikey"
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        if self.venue_id and self.tenant_id and self.venue.tenant_id != self.tenant_id:
            raise ValidationError({"venue": "This venue belongs to another tenant."})
