"""Open-set returning-visitor matching with N visitors in one matching scope, on SYNTHETIC embeddings shaped
like real dlib face embeddings: the share of strangers taken for a known visitor (FAR), of returning people
matched to themselves (TAR), of each left "uncertain", and the latency and recall@1 of the product's search.

The shape comes from the product's own embeddings of the labelled photos in FACES_DIR (see `FaceSpread`). The
false-accept rate depends on the lower tail of the different-people distances (how near a stranger's nearest
face is among N people), which 19 real people cannot show beyond their nearest pairs; the synthetic people are
drawn so that this tail matches the real one where it can be measured (p0.1-p5, printed beside the real
figures), although their median and spread are larger. Matching the median and spread instead needs more
independent directions, which thins the tail below the real one and would make the benchmark easier.

Each query person comes with two samples, as a visit with two good faces would: the product decides on the
first; "two agreeing samples" accepts only when both decide the same visitor. The rows go into the real
tables, in a tenant of their own (slug `benchmark-reid-synthetic`), deleted at the end. For the load, the HNSW
index is dropped and built again afterwards with its migration's definition: run this on a database of its
own, not one in use.
"""

import json
import os
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunSQL
from django.utils import timezone
from pgvector.psycopg.vector import register_vector_info
from psycopg.types import TypeInfo

from core.models import Tenant
from core.tenancy import all_tenants, tenant_scope
from reid.calibration import open_set_grid, open_set_rates, open_set_table, pair_distances
from reid.management.commands.reid_calibrate import photo_embeddings
from reid.matching import nearest_sample_sql, nearest_visitors, vector_literal, visitor_match
from venues.models import Venue
from vision.faces import FaceAnalyzer

SLUG = "benchmark-reid-synthetic"
FACE_MODEL = "dlib-resnet-128"
DIMENSIONS = 128
HNSW_INDEX = f"reid_embedding_hnsw_{DIMENSIONS}"
RECALL_QUERIES = 200  # queries of each kind also searched exactly (a full scan), for recall@1
WARM_UP = 300  # untimed searches before the measurement
SEED = 7
SCALE_SPREADS = tuple(round(0.05 * step, 2) for step in range(13))  # log-normal spreads tried for samples


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
    return round(float(p50), 2), round(float(p95), 2)


def _distance_figures(same: np.ndarray, different: np.ndarray) -> dict:
    """What the synthetic data is checked against: the spread of same-person distances, and the median and lower
    tail of different-people distances (a stranger's nearest face in a large gallery comes from that tail)."""
    same_p5, same_median, same_p95 = np.percentile(same, [5, 50, 95])
    different_p01, different_p1, different_p5, different_median = np.percentile(different, [0.1, 1, 5, 50])
    figures = {
        "same_p5": same_p5, "same_median": same_median, "same_p95": same_p95, "different_p0.1": different_p01,
        "different_p1": different_p1, "different_p5": different_p5, "different_median": different_median,
    }  # fmt: skip
    return {name: round(float(value), 3) for name, value in figures.items()}


class FaceSpread:
    """How real face embeddings spread: people's centres around a mean, one person's samples around a centre.

    Centres: a normal distribution with the mean and covariance of the real people's centres; 19 people span
    only 18 directions, so the covariance gets eps * I, eps being half the within-person variance. Samples: the
    real within-person variance, scaled per sample by a log-normal factor whose spread is fitted so that the
    synthetic same-person distances spread as the real ones (p5-p95 over the median)."""

    def __init__(self, real: dict[str, tuple[str, np.ndarray]], rng) -> None:
        """`real`: file -> (identity, embedding), as `reid_calibrate.photo_embeddings` gives them."""
        identities = np.array([identity for identity, _ in real.values()])
        embeddings = np.array([embedding for _, embedding in real.values()])
        people = [embeddings[identities == identity] for identity in np.unique(identities)]
        centres = np.array([samples.mean(axis=0) for samples in people])
        residuals = np.concatenate([samples - samples.mean(axis=0) for samples in people])
        sample_variance = (residuals**2).sum() / (len(embeddings) - len(people)) / DIMENSIONS
        self.mean = centres.mean(axis=0)
        self.covariance = np.cov(centres, rowvar=False) + sample_variance / 2 * np.eye(DIMENSIONS)
        self.sample_sd = float(np.sqrt(sample_variance))
        real_same, _ = pair_distances(real)
        fit_centres = self.centres(rng, 5000)
        self.scale_spread = min(
            SCALE_SPREADS, key=lambda spread: self._spread_error(spread, fit_centres, real_same, rng)
        )

    def _spread_error(self, spread: float, centres: np.ndarray, real_same: np.ndarray, rng) -> float:
        same = np.linalg.norm(self._samples(rng, centres, spread) - self._samples(rng, centres, spread), axis=1)
        relative = [(p95 - p5) / p50 for p5, p50, p95 in (np.percentile(d, [5, 50, 95]) for d in (same, real_same))]
        return abs(relative[0] - relative[1])

    def centres(self, rng, count: int) -> np.ndarray:
        return _unit(rng.multivariate_normal(self.mean, self.covariance, size=count))

    def samples(self, rng, centres: np.ndarray) -> np.ndarray:
        return self._samples(rng, centres, self.scale_spread)

    def _samples(self, rng, centres: np.ndarray, spread: float) -> np.ndarray:
        scale = self.sample_sd * np.exp(rng.normal(scale=spread, size=(len(centres), 1)) - spread**2 / 2)
        return _unit(centres + rng.normal(size=centres.shape) * scale).astype(np.float32)


def _hnsw_index_definition() -> str:
    """The CREATE INDEX of the latest reid migration that creates the index."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    operations = [op for (app, _), migration in sorted(loader.disk_migrations.items()) if app == "reid"
                  for op in migration.operations]  # fmt: skip
    creates = [op.sql for op in operations if isinstance(op, RunSQL) and f"CREATE INDEX {HNSW_INDEX} " in op.sql]
    if not creates:
        raise CommandError(f"no reid migration creates {HNSW_INDEX}")
    return creates[-1]


def _hnsw_index_create(definition: str) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '2GB'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        cursor.execute(definition)
    return time.perf_counter() - started


def _hnsw_index_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")


def _tenant_delete() -> None:
    with all_tenants():
        Tenant.objects.filter(slug=SLUG).delete()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--visitors", type=int, default=100_000, help="People in the matching scope")
        parser.add_argument("--queries", type=int, default=1000, help="Returning visitors, and as many strangers")
        parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file")
        parser.add_argument(
            "--faces", type=Path, help="Labelled face photos (default: FACES_DIR or ../shared/faces)",
            default=Path(os.environ.get("FACES_DIR") or settings.BASE_DIR.parent / "shared" / "faces"),
        )  # fmt: skip

    def handle(self, *args, visitors, queries, json_path, faces, **options):
        rng = np.random.default_rng(SEED)
        real, model, _ = photo_embeddings(FaceAnalyzer.from_model_dir(settings.VISION_MODEL_DIR), faces)
        if model != FACE_MODEL:
            raise CommandError(f"the embedder is {model}, not {FACE_MODEL}")
        spread = FaceSpread(real, rng)
        counts = rng.integers(1, settings.REID_SAMPLES_PER_VISITOR + 1, size=visitors)
        identities = np.repeat(np.arange(visitors), counts)
        centres = spread.centres(rng, visitors)
        samples = spread.samples(rng, centres[identities])
        shape = {"real": _distance_figures(*pair_distances(real)), "synthetic": self._synthetic_figures(spread, rng)}
        self.stdout.write(
            f"SYNTHETIC data: {visitors:,} people, {len(samples):,} embeddings (1-{settings.REID_SAMPLES_PER_VISITOR} "
            f"each; sample scale spread {spread.scale_spread}); distances from {len(real)} real photos:"
        )
        for name in shape["real"]:
            self.stdout.write(f"  {name:17} synthetic {shape['synthetic'][name]:.3f}  real {shape['real'][name]:.3f}")
        returning = rng.choice(visitors, size=queries, replace=False)
        returning_queries = [spread.samples(rng, centres[returning]) for _ in range(2)]  # two faces of each visit
        strangers = spread.centres(rng, queries)
        stranger_queries = [spread.samples(rng, strangers) for _ in range(2)]
        warm_up = spread.samples(rng, spread.centres(rng, WARM_UP))

        index_definition = _hnsw_index_definition()
        _tenant_delete()  # left over by a run that crashed
        try:
            tenant = Tenant.objects.create(name="SYNTHETIC re-identification benchmark", slug=SLUG)
            with tenant_scope(tenant):
                venue = Venue.objects.create(tenant=tenant, name="Synthetic store", time_zone="Europe/Paris")
            visitor_ids = self._load(tenant, venue, identities, samples, index_definition)
            self._plan_check(returning_queries[0][0])
            for query in warm_up:  # as a running service's would, the index is in memory then
                nearest_visitors(tenant, venue, query, FACE_MODEL)
            result = self._measure(tenant, venue, returning_queries, stranger_queries, visitor_ids[returning])
        finally:
            _hnsw_index_drop()
            _tenant_delete()
            _hnsw_index_create(index_definition)
        if json_path:
            payload = {
                "visitors": visitors, "embeddings": len(samples), "queries": queries, "synthetic": True,
                "sample_scale_spread": spread.scale_spread, "distances": shape, **result,
            }  # fmt: skip
            json_path.write_text(json.dumps(payload, indent=2) + "\n")

    def _synthetic_figures(self, spread: FaceSpread, rng) -> dict:
        centres = spread.centres(rng, 20_000)
        same = np.linalg.norm(spread.samples(rng, centres) - spread.samples(rng, centres), axis=1)
        others = spread.samples(rng, centres)
        different = np.linalg.norm(others[: len(others) // 2] - others[len(others) // 2 :], axis=1)
        return _distance_figures(same, different)

    def _measure(self, tenant, venue, returning_queries, stranger_queries, own_visitors) -> dict:
        """The product's `visitor_match` on each query's two samples: its latency, recall@1 of the search against
        an exact one, and FAR/TAR under the product's rule for this scope and under a grid of rules."""
        times, decisions = [], {}
        for kind, (first_samples, second_samples) in (
            ("returning", returning_queries),
            ("strangers", stranger_queries),
        ):
            pairs = []
            for first, second in zip(first_samples, second_samples, strict=True):
                started = time.perf_counter()
                decision = visitor_match(tenant, venue, first, FACE_MODEL)
                times.append(time.perf_counter() - started)
                pairs.append((decision.nearest, visitor_match(tenant, venue, second, FACE_MODEL).nearest))
            decisions[kind] = pairs
        product_rule = decision.rule
        recall = {}
        for kind, queries in (("returning", returning_queries), ("strangers", stranger_queries)):
            exact = self._exact(queries[0][:RECALL_QUERIES])
            found = np.array([first[0].distance for first, _ in decisions[kind][:RECALL_QUERIES]])
            recall[kind] = float(np.mean(found <= exact + 1e-6))  # a tie with the exact nearest counts as found
        p50, p95 = _percentiles(times)
        product = open_set_rates(product_rule, decisions["returning"], decisions["strangers"], own_visitors)
        grid = open_set_grid(decisions["returning"], decisions["strangers"], own_visitors)
        out = self.stdout.write
        out(
            f"visitor_match (ef_search {settings.REID_CANDIDATES}), {len(times)} calls: p50 {p50} ms, p95 {p95} ms; "
            f"recall@1 returning {recall['returning']:.3f}, strangers {recall['strangers']:.3f} ({min(RECALL_QUERIES, len(times) // 2)} each)"
        )
        for line in open_set_table(grid, product):
            out(line)
        return {
            "ef_search": settings.REID_CANDIDATES, "match_p50_ms": p50, "match_p95_ms": p95,
            "recall_at_1": recall["returning"], "stranger_recall_at_1": recall["strangers"], "product_rule": product,
            "grid": grid,
        }  # fmt: skip

    def _load(self, tenant, venue, identities, samples, index_definition) -> np.ndarray:
        """One visitor per synthetic person, their samples by COPY with the HNSW index dropped, then the index
        built again: much faster than inserting into the index row by row. Returns the visitor ids by person."""
        _hnsw_index_drop()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reid_visitor (tenant_id, venue_id, first_seen, last_seen, staff, created_at) "
                "SELECT %s, %s, now(), now(), false, now() FROM generate_series(1, %s)",
                [tenant.pk, venue.pk, int(identities[-1]) + 1],
            )
            cursor.execute("SELECT id FROM reid_visitor WHERE tenant_id = %s ORDER BY id", [tenant.pk])
            visitor_ids = np.array([row[0] for row in cursor.fetchall()])
            raw = cursor.cursor
            register_vector_info(raw, TypeInfo.fetch(raw.connection, "vector"))  # for this cursor only
            columns = "tenant_id, venue_id, visitor_id, face_model, dimensions, embedding, created_at"
            with raw.copy(f"COPY reid_visitorembedding ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "int8", "int8", "varchar", "int2", "vector", "timestamptz"])
                now = timezone.now()
                for visitor_id, sample in zip(visitor_ids[identities].tolist(), samples, strict=True):
                    copy.write_row((tenant.pk, venue.pk, visitor_id, FACE_MODEL, DIMENSIONS, sample, now))
        loaded = time.perf_counter() - started
        built = _hnsw_index_create(index_definition)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reid_visitor, reid_visitorembedding")
        self.stdout.write(
            f"Loaded {len(samples):,} embeddings and {len(visitor_ids):,} visitors by COPY in {loaded:.1f} s; "
            f"HNSW index built in {built:.1f} s; ANALYZE {time.perf_counter() - started:.1f} s"
        )
        return visitor_ids

    def _plan_check(self, query: np.ndarray) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {int(settings.REID_CANDIDATES)}")
            cursor.execute(
                f"EXPLAIN {nearest_sample_sql(DIMENSIONS)}",
                {"query": vector_literal(query), "candidates": settings.REID_CANDIDATES},
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        if f"Index Scan using {HNSW_INDEX}" not in plan:
            raise CommandError(f"the HNSW search does not use {HNSW_INDEX}:\n{plan}")

    def _exact(self, queries: np.ndarray) -> np.ndarray:
        """The distance of each query's truly nearest sample (a full scan)."""
        with connection.cursor() as cursor:
            distances = []
            for query in queries:
                cursor.execute(
                    nearest_sample_sql(DIMENSIONS, exact=True), {"query": vector_literal(query), "candidates": 1}
                )
                distances.append(cursor.fetchone()[-1])
        return np.array(distances)
