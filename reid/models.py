"""Returning visitors: anonymous people recognised by their face embeddings, never by an image or a name.

A `Visitor` is created the first time a face is not recognised; visits link to it (`ingest.Visit.visitor`).
Its `VisitorEmbedding`s are a few good samples (not one per frame), each deleted after the tenant's retention
period. Embeddings of different models are never compared: each row names its model, and the HNSW index for
a vector size is partial (`dimensions = 128`, `= 512`) over a cast of the column, because pgvector indexes
need a fixed size and one tenant may switch models.
"""

from django.db import models
from django.utils import timezone
from pgvector.django import VectorField

from core.tenancy import TenantOwned
from venues.models import Venue

INDEXED_DIMENSIONS = (128, 512)  # dlib ResNet; ArcFace (see vision.faces.load_embedder)


class Visitor(TenantOwned):
    """An anonymous person. `venue` is where they were first seen (with the tenant-wide scope they may
    return in another venue); staff are left out of every customer metric."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="visitors")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    staff = models.BooleanField(default=False)
    staff_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["venue", "last_seen"]), models.Index(fields=["tenant", "last_seen"])]

    def __str__(self):
        return f"Visitor {self.pk}{' (staff)' if self.staff else ''}"


class VisitorEmbedding(TenantOwned):
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="embeddings")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+", help_text="Where it was seen.")
    face_model = models.CharField(max_length=40)
    dimensions = models.PositiveSmallIntegerField()
    embedding = VectorField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True, help_text="Retention counts from here.")

    class Meta:
        indexes = [models.Index(fields=["visitor", "created_at"])]

    def __str__(self):
        return f"{self.face_model} sample of visitor {self.visitor_id}"


class UncertainMatch(TenantOwned):
    """A visit whose face was within the match threshold of a known visitor but not clearly nearer to that one
    than to the next (`reid.matching.MatchRule`): it joins nobody (a stranger would inherit another person's
    history) and enrols nobody; counted in the visitor numbers as "uncertain". Holds no embedding."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    visit_key = models.CharField(max_length=160)
    seen_at = models.DateTimeField(help_text="When the visit started.")
    face_model = models.CharField(max_length=40)
    distance = models.FloatField(help_text="To the nearest visitor.")
    runner_up_distance = models.FloatField(help_text="To the next visitor.")
    threshold = models.FloatField(help_text="The scope's threshold then.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "visit_key"], name="uncertainmatch_unique_visit_per_tenant")
        ]
        indexes = [models.Index(fields=["venue", "seen_at"])]

    def __str__(self):
        return f"uncertain match of {self.visit_key}"
