"""Recognising a visitor from a face embedding: the one writer of `Visitor` and `VisitorEmbedding` rows for
new visits (staff marking and erasure are in `reid.services`).

The search asks the HNSW index for the `REID_CANDIDATES` nearest samples of the embedding's size over all
tenants, then keeps those of the caller's tenant (and venue) and model, and returns the two nearest visitors.
Filtering after the index scan keeps the index usable for any scope; it loses nothing, because a sample
within the threshold (the same person) is nearer than practically every other face, so it is among the
nearest candidates whenever it exists. The tenant filter is in the same statement: no other tenant's row
ever leaves the database.

Open-set decision (`MatchRule`): a threshold calibrated on pairs of faces does not hold against a gallery of
thousands of people, because a stranger's nearest face among N people gets closer as N grows. So the threshold
tightens with the number of visitors in the scope, and the nearest visitor must also be nearer than the next
one by a margin: a stranger's two nearest visitors are about equally near, a returning person's own samples
stand out. Within the threshold but without the margin the face is "uncertain": it joins nobody and enrols
nobody. The figures behind the settings: docs/benchmarks.md (`benchmark_reid`, `reid_calibrate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from reid.models import INDEXED_DIMENSIONS, UncertainMatch, Visitor, VisitorEmbedding

_IDENTIFY_LOCK = 7302  # pg_advisory_xact_lock class: one identification per tenant at a time


class Outcome(StrEnum):
    RETURNING = "returning"  # the nearest visitor's
    UNCERTAIN = "uncertain"  # within the threshold, but the next visitor is about as near
    NEW = "new"  # nobody within the threshold


@dataclass(frozen=True)
class Match:
    visitor_id: int
    distance: float


@dataclass(frozen=True)
class MatchRule:
    threshold: float
    margin: float

    def outcome(self, nearest: Sequence[Match]) -> Outcome:
        """The decision on a face from its nearest visitors, nearest first (the next one, if any, second)."""
        if not nearest or nearest[0].distance > self.threshold:
            return Outcome.NEW
        if len(nearest) > 1 and nearest[1].distance - nearest[0].distance < self.margin:
            return Outcome.UNCERTAIN
        return Outcome.RETURNING


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    nearest: tuple[Match, ...]  # the nearest visitor and the next, as far as there are any
    rule: MatchRule


def match_rule(face_model: str, visitors_in_scope: int) -> MatchRule | None:
    """The model's threshold and margin for a scope of this many visitors (`REID_MATCH_RULES`); None for a
    model that is never matched."""
    bands = settings.REID_MATCH_RULES.get(face_model)
    if bands is None:
        return None
    threshold, margin = next((t, m) for most, t, m in bands if most is None or visitors_in_scope <= most)
    return MatchRule(threshold=threshold, margin=margin)


def _in_venue(tenant) -> str:
    return "AND venue_id = %(venue)s" if tenant.reid_scope == tenant.ReidScope.VENUE else ""


def scope_size(tenant, venue, face_model: str) -> int:
    """How many visitors hold samples of this model in the tenant's matching scope for `venue`. Counted again
    at most every `REID_SCOPE_SIZE_SECONDS` per process: the threshold bands are wide, and counting a
    million samples takes longer than searching them."""
    scope = venue.pk if tenant.reid_scope == tenant.ReidScope.VENUE else "all"
    key = f"reid-scope-size:{tenant.pk}:{scope}:{face_model}"

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(DISTINCT visitor_id) FROM reid_visitorembedding "
                f"WHERE tenant_id = %(tenant)s AND face_model = %(model)s {_in_venue(tenant)}",
                {"tenant": tenant.pk, "model": face_model, "venue": venue.pk},
            )
            return cursor.fetchone()[0]

    return cache.get_or_set(key, count, settings.REID_SCOPE_SIZE_SECONDS)


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


def nearest_visitors(tenant, venue, embedding: Sequence[float], face_model: str) -> tuple[Match, ...]:
    """The two visitors nearest to this face (each by their nearest sample) in the tenant's re-identification
    scope (`venue` only, or all its venues), among the `REID_CANDIDATES` nearest samples; fewer if there are
    fewer."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(settings.REID_CANDIDATES)}")
        cursor.execute(
            f"SELECT visitor_id, min(distance) AS distance FROM ({nearest_sample_sql(len(embedding))}) nearest "
            f"WHERE tenant_id = %(tenant)s {_in_venue(tenant)} AND face_model = %(model)s "
            "GROUP BY visitor_id ORDER BY distance LIMIT 2",
            {
                "query": vector_literal(embedding), "candidates": settings.REID_CANDIDATES, "tenant": tenant.pk,
                "venue": venue.pk, "model": face_model,
            },
        )  # fmt: skip
        return tuple(Match(*row) for row in cursor.fetchall())


def visitor_match(tenant, venue, embedding: Sequence[float], face_model: str) -> Decision | None:
    """The decision on this face under the rule for the scope's size (see the module's doc); None when the
    model has no rule."""
    rule = match_rule(face_model, scope_size(tenant, venue, face_model))
    if rule is None:
        return None
    nearest = nearest_visitors(tenant, venue, embedding, face_model)
    return Decision(rule.outcome(nearest), nearest, rule)


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


def visitor_identify(
    venue, embedding: Sequence[float], face_model: str, seen_at: datetime, visit_key: str
) -> Visitor | None:
    """The visitor this face belongs to: a known one (updated), or a new anonymous one. None when the tenant
    does not recognise returning visitors, the model cannot be matched, or the match is uncertain (then
    recorded as an `UncertainMatch` of the visit, once). Call inside the write's transaction: identifications
    of one tenant are serialised, so one person arriving twice at once is still one visitor."""
    tenant = venue.tenant
    if tenant.face_processing != tenant.FaceProcessing.RETURNING or face_model not in settings.REID_MATCH_RULES:
        return None
    if len(embedding) not in INDEXED_DIMENSIONS:
        return None
    vector = np.asarray(embedding, dtype=np.float32)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IDENTIFY_LOCK, tenant.pk])
        decision = visitor_match(tenant, venue, vector, face_model)
        if decision.outcome == Outcome.UNCERTAIN:
            nearest, runner_up = decision.nearest
            UncertainMatch.objects.get_or_create(
                tenant=tenant, visit_key=visit_key,
                defaults={
                    "venue": venue, "seen_at": seen_at, "face_model": face_model, "distance": nearest.distance,
                    "runner_up_distance": runner_up.distance, "threshold": decision.rule.threshold,
                },
            )  # fmt: skip
            return None
        if decision.outcome == Outcome.NEW:
            visitor = Visitor.objects.create(tenant=tenant, venue=venue, first_seen=seen_at, last_seen=seen_at)
        else:
            visitor = Visitor.objects.select_for_update().get(pk=decision.nearest[0].visitor_id)
            visitor.first_seen, visitor.last_seen = min(visitor.first_seen, seen_at), max(visitor.last_seen, seen_at)
            visitor.save(update_fields=["first_seen", "last_seen"])
        _sample_add(visitor, venue, vector, face_model)
    return visitor
