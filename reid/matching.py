"""Recognising a visitor from a face embedding: the one writer of `Visitor` and `VisitorEmbedding` rows for
new visits (staff marking and erasure are in `reid.services`).

The search asks the HNSW index for the `REID_CANDIDATES` nearest samples of the embedding's size over all
tenants, then keeps those of the caller's tenant (and venue), of the same model, within the model's threshold.
Filtering after the index scan keeps the index usable for any scope; it loses nothing, because a sample
within the threshold (the same person) is nearer than practically every other face, so it is among the
nearest candidates whenever it exists. The tenant filter is in the same statement: no other tenant's row
ever leaves the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from reid.models import INDEXED_DIMENSIONS, Visitor, VisitorEmbedding

_IDENTIFY_LOCK = 7302  # pg_advisory_xact_lock class: one identification per tenant at a time


@dataclass(frozen=True)
class Match:
    visitor_id: int
    distance: float


def vector_literal(embedding: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in embedding) + "]"


def nearest_sample_sql(dimensions: int, *, exact: bool = False) -> str:
    """SQL for the nearest samples of an embedding: `%(query)s` the vector, `%(candidates)s` how many. With
    `exact`, a full scan (the benchmark's reference) instead of the HNSW index."""
    if dimensions not in INDEXED_DIMENSIONS:
        raise ValueError(f"no index for {dimensions}-dimensional embeddings")
    distance = f"embedding::vector({dimensions}) <-> %(query)s::vector({dimensions})"
    order = f"({distance}) + 0" if exact else distance  # an expression the index cannot serve
    return (
        f"SELECT id, visitor_id, tenant_id, venue_id, face_model, {distance} AS distance "
        f"FROM reid_visitorembedding WHERE dimensions = {dimensions} ORDER BY {order} LIMIT %(candidates)s"
    )


def visitor_match(tenant, venue, embedding: Sequence[float], face_model: str) -> Match | None:
    """The known visitor nearest to this face within the model's threshold, in the tenant's re-identification
    scope (`venue` only, or all its venues); None if there is none or the model has no threshold."""
    threshold = settings.REID_MATCH_THRESHOLDS.get(face_model)
    if threshold is None:
        return None
    in_venue = "AND venue_id = %(venue)s" if tenant.reid_scope == tenant.ReidScope.VENUE else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(settings.REID_CANDIDATES)}")
        cursor.execute(
            f"SELECT visitor_id, distance FROM ({nearest_sample_sql(len(embedding))}) nearest "
            f"WHERE tenant_id = %(tenant)s {in_venue} AND face_model = %(model)s AND distance <= %(threshold)s "
            "ORDER BY distance LIMIT 1",
            {
                "query": vector_literal(embedding), "candidates": settings.REID_CANDIDATES, "tenant": tenant.pk,
                "venue": venue.pk, "model": face_model, "threshold": threshold,
            },
        )  # fmt: skip
        row = cursor.fetchone()
    return Match(*row) if row else None


def _sample_add(visitor: Visitor, venue, embedding: np.ndarray, face_model: str) -> None:
    """Keep the new face as one of the visitor's few samples unless it adds nothing (too close to one they
    have); at the limit it replaces the oldest, so a regular's samples stay recent and never all expire."""
    samples = list(visitor.embeddings.filter(face_model=face_model).order_by("created_at"))
    if any(np.linalg.norm(np.asarray(s.embedding) - embedding) < settings.REID_SAMPLE_MIN_DISTANCE for s in samples):
        return
    if len(samples) >= settings.REID_SAMPLES_PER_VISITOR:
        samples[0].delete()
    VisitorEmbedding.objects.create(
        tenant_id=visitor.tenant_id, visitor=visitor, venue=venue, face_model=face_model,
        dimensions=len(embedding), embedding=embedding.tolist(),
    )  # fmt: skip


def visitor_identify(venue, embedding: Sequence[float], face_model: str, seen_at: datetime) -> Visitor | None:
    """The visitor this face belongs to: a known one (updated), or a new anonymous one. None when the tenant
    does not recognise returning visitors or the model cannot be matched. Call inside the write's transaction:
    identifications of one tenant are serialised, so one person arriving twice at once is still one visitor."""
    tenant = venue.tenant
    if tenant.face_processing != tenant.FaceProcessing.RETURNING or face_model not in settings.REID_MATCH_THRESHOLDS:
        return None
    if len(embedding) not in INDEXED_DIMENSIONS:
        return None
    vector = np.asarray(embedding, dtype=np.float32)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IDENTIFY_LOCK, tenant.pk])
        match = visitor_match(tenant, venue, vector, face_model)
        if match is None:
            visitor = Visitor.objects.create(tenant=tenant, venue=venue, first_seen=seen_at, last_seen=seen_at)
        else:
            visitor = Visitor.objects.select_for_update().get(pk=match.visitor_id)
            visitor.first_seen, visitor.last_seen = min(visitor.first_seen, seen_at), max(visitor.last_seen, seen_at)
            visitor.save(update_fields=["first_seen", "last_seen"])
        _sample_add(visitor, venue, vector, face_model)
    return visitor
