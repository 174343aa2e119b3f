"""Returning-visitor matching at N embeddings: latency of the HNSW search and its recall@1 against an exact
search, on SYNTHETIC embeddings shaped like real dlib face embeddings.

The shape comes from the product's own embeddings of the labelled photos in FACES_DIR: identity centres are
drawn from a normal distribution with the mean and covariance of the real people's centres, and each synthetic
person gets 1-5 samples around their centre with the real within-person spread. 19 real people span only 18
directions, so the covariance gets eps * I, eps being half the within-person variance: that keeps both the
distance medians and the effective dimension of the data close to the real ones.

The rows go into the real tables, in a tenant of their own (slug `benchmark-reid-synthetic`), deleted at the end.
For the load, the HNSW index is dropped and built again afterwards with its migration's definition: run this on
a database of its own, not one in use.
"""

import csv
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunSQL
from django.test.utils import override_settings
from django.utils import timezone
from pgvector.psycopg.vector import register_vector_info
from psycopg.types import TypeInfo

from reid.matching import nearest_sample_sql, vector_literal, visitor_match
from venues.models import Tenant, Venue
from venues.tenancy import all_tenants, tenant_scope
from vision.faces import FaceAnalyzer

SLUG = "benchmark-reid-synthetic"
FACE_MODEL = "dlib-resnet-128"
DIMENSIONS = 128
HNSW_INDEX = f"reid_embedding_hnsw_{DIMENSIONS}"
MATCH_CALLS = 200  # full `visitor_match` calls timed
WARM_UP = 300  # untimed searches before each measurement
SEED = 7


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
    return round(float(p50), 2), round(float(p95), 2)


def _timing(seconds: list[float]) -> str:
    p50, p95 = _percentiles(seconds)
    return f"p50 {p50} ms, p95 {p95} ms"


def _people_of_samples(rng, total: int) -> np.ndarray:
    """The person of each of `total` samples, grouped by person, each with 1 to as many samples as a visitor keeps."""
    counts = rng.integers(1, settings.REID_SAMPLES_PER_VISITOR + 1, size=total)
    counts = counts[: np.searchsorted(np.cumsum(counts), total) + 1]
    counts[-1] -= counts.sum() - total
    return np.repeat(np.arange(len(counts)), counts)


def _distance_medians(embeddings: np.ndarray, identities: np.ndarray, rng) -> tuple[float, float]:
    """Median L2 distance of two samples of one person (neighbouring rows, as samples are grouped by person)
    and of two different people (random pairs)."""
    same = identities[1:] == identities[:-1]
    first, second = rng.integers(len(embeddings), size=(2, 20_000))
    different = identities[first] != identities[second]
    return (
        float(np.median(np.linalg.norm(embeddings[1:][same] - embeddings[:-1][same], axis=1))),
        float(np.median(np.linalg.norm(embeddings[first[different]] - embeddings[second[different]], axis=1))),
    )


class FaceSpread:
    """How real face embeddings spread: people's centres around a mean, one person's samples around a centre."""

    def __init__(self, embeddings: np.ndarray, identities: np.ndarray) -> None:
        people = [embeddings[identities == identity] for identity in np.unique(identities)]
        centres = np.array([samples.mean(axis=0) for samples in people])
        residuals = np.concatenate([samples - samples.mean(axis=0) for samples in people])
        sample_variance = (residuals**2).sum() / (len(embeddings) - len(people)) / DIMENSIONS
        self.mean = centres.mean(axis=0)
        self.covariance = np.cov(centres, rowvar=False) + sample_variance / 2 * np.eye(DIMENSIONS)
        self.sample_sd = float(np.sqrt(sample_variance))

    def centres(self, rng, count: int) -> np.ndarray:
        return _unit(rng.multivariate_normal(self.mean, self.covariance, size=count))

    def samples(self, rng, centres: np.ndarray) -> np.ndarray:
        return _unit(centres + rng.normal(scale=self.sample_sd, size=centres.shape)).astype(np.float32)


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
        parser.add_argument("--embeddings", type=int, default=1_000_000)
        parser.add_argument("--queries", type=int, default=1000, help="Returning visitors, and as many strangers")
        parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file")
        parser.add_argument(
            "--candidates", type=lambda text: [int(n) for n in text.split(",")],
            help="ef_search values to measure, e.g. 40,100 (default: REID_CANDIDATES); the first is the JSON's",
        )  # fmt: skip
        parser.add_argument(
            "--faces", type=Path, help="Labelled face photos (default: FACES_DIR or ../shared/faces)",
            default=Path(os.environ.get("FACES_DIR") or settings.BASE_DIR.parent / "shared" / "faces"),
        )  # fmt: skip

    def handle(self, *args, embeddings, queries, json_path, faces, candidates, **options):
        rng = np.random.default_rng(SEED)
        spread, real_medians = self._real_spread(faces, rng)
        identities = _people_of_samples(rng, embeddings)
        centres = spread.centres(rng, int(identities[-1]) + 1)
        samples = spread.samples(rng, centres[identities])
        same, different = _distance_medians(samples, identities, rng)
        self.stdout.write(
            f"SYNTHETIC data: {embeddings:,} embeddings of {len(centres):,} people "
            f"(1-{settings.REID_SAMPLES_PER_VISITOR} samples each); "
            f"median distance same person {same:.3f} (real {real_medians[0]:.3f}), "
            f"different people {different:.3f} (real {real_medians[1]:.3f})"
        )
        returning = rng.choice(len(centres), size=queries, replace=False)
        returning_queries = spread.samples(rng, centres[returning])
        stranger_queries = spread.samples(rng, spread.centres(rng, queries))
        warm_up = spread.samples(rng, spread.centres(rng, WARM_UP))

        index_definition = _hnsw_index_definition()
        _tenant_delete()  # left over by a run that crashed
        results = []
        try:
            tenant = Tenant.objects.create(name="SYNTHETIC re-identification benchmark", slug=SLUG)
            with tenant_scope(tenant):
                venue = Venue.objects.create(tenant=tenant, name="Synthetic store", time_zone="Europe/Paris")
            visitor_ids = self._load(tenant, venue, identities, samples, index_definition)
            own_visitors = visitor_ids[returning[:MATCH_CALLS]].tolist()
            exact = {"returning": self._exact(returning_queries), "strangers": self._exact(stranger_queries)}
            for count in candidates or [settings.REID_CANDIDATES]:
                with override_settings(REID_CANDIDATES=count):
                    self._plan_check(returning_queries[0])
                    self._search(warm_up)  # as a running service's would, the index is in memory then
                    results.append(
                        self._measure(tenant, venue, returning_queries, stranger_queries, exact, own_visitors)
                    )
        finally:
            _hnsw_index_drop()
            _tenant_delete()
            _hnsw_index_create(index_definition)

        if json_path:
            first = results[0]
            result = {
                "embeddings": embeddings, "p50_ms": first["p50_ms"], "p95_ms": first["p95_ms"],
                "recall_at_1": first["recall_at_1"], "stranger_recall_at_1": first["stranger_recall_at_1"],
                "ef_search": first["ef_search"], "by_ef_search": results, "synthetic": True,
            }  # fmt: skip
            json_path.write_text(json.dumps(result, indent=2) + "\n")

    def _measure(self, tenant, venue, returning_queries, stranger_queries, exact, own_visitors) -> dict:
        """Search latency and recall@1 (the share whose nearest sample is the exact search's, or as near: a tie
        counts as found) for returning visitors and strangers, then full `visitor_match` calls."""
        returning_times, returning_nearest = self._search(returning_queries)
        stranger_times, stranger_nearest = self._search(stranger_queries)
        returning_found = float(np.mean(returning_nearest <= exact["returning"]))
        stranger_found = float(np.mean(stranger_nearest <= exact["strangers"]))
        match_times, returning_matches = self._match(tenant, venue, returning_queries)
        _, stranger_matches = self._match(tenant, venue, stranger_queries)
        p50, p95 = _percentiles(returning_times)
        own_matches = sum(found == own for found, own in zip(returning_matches, own_visitors, strict=True))
        false_matches = sum(found is not None for found in stranger_matches)
        self.stdout.write(
            f"HNSW search (ef_search {settings.REID_CANDIDATES}), {len(returning_queries)} returning visitors: "
            f"p50 {p50} ms, p95 {p95} ms, recall@1 {returning_found:.4f}"
        )
        self.stdout.write(
            f"  {len(stranger_queries)} strangers: {_timing(stranger_times)}, recall@1 {stranger_found:.4f}"
        )
        self.stdout.write(
            f"  visitor_match, {len(match_times)} returning visitors: {_timing(match_times)}, {own_matches} matched "
            f"to their own visitor; {len(stranger_matches)} strangers: {false_matches} matched to a visitor (false)"
        )
        match_p50, match_p95 = _percentiles(match_times)
        return {
            "ef_search": settings.REID_CANDIDATES, "p50_ms": p50, "p95_ms": p95, "recall_at_1": returning_found,
            "stranger_recall_at_1": stranger_found, "match_p50_ms": match_p50, "match_p95_ms": match_p95,
            "own_matches": own_matches, "false_matches": false_matches,
        }  # fmt: skip

    def _real_spread(self, faces: Path, rng) -> tuple[FaceSpread, tuple[float, float]]:
        analyzer = FaceAnalyzer.from_model_dir(settings.VISION_MODEL_DIR)
        with open(faces / "labels.csv", newline="") as labels:
            photos = sorted((row["identity"], row["file"]) for row in csv.DictReader(labels))
        embeddings, identities = [], []
        for identity, file in photos:
            found = analyzer.faces(cv2.imread(str(faces / file)))
            if found:
                description = analyzer.describe(found[0])
                if description.face_model != FACE_MODEL:
                    raise CommandError(f"the embedder is {description.face_model}, not {FACE_MODEL}")
                embeddings.append(description.embedding)
                identities.append(identity)
        embeddings, identities = np.array(embeddings), np.array(identities)
        self.stdout.write(f"Real embeddings: {len(embeddings)} photos of {len(set(identities))} people ({faces})")
        return FaceSpread(embeddings, identities), _distance_medians(embeddings, identities, rng)

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

    def _match(self, tenant, venue, queries: np.ndarray) -> tuple[list[float], list[int | None]]:
        """Seconds of the product's `visitor_match` for the first MATCH_CALLS queries, and the visitors found."""
        times, visitors = [], []
        for query in queries[:MATCH_CALLS]:
            started = time.perf_counter()
            match = visitor_match(tenant, venue, query, FACE_MODEL)
            times.append(time.perf_counter() - started)
            visitors.append(match.visitor_id if match else None)
        return times, visitors

    def _search(self, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
        """Seconds of each HNSW search as `visitor_match` runs it, and the distance of the nearest sample found."""
        times, nearest = [], []
        for query in queries:
            parameters = {"query": vector_literal(query), "candidates": settings.REID_CANDIDATES}
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL hnsw.ef_search = {int(settings.REID_CANDIDATES)}")
                started = time.perf_counter()
                cursor.execute(nearest_sample_sql(DIMENSIONS), parameters)
                rows = cursor.fetchall()
                times.append(time.perf_counter() - started)
            nearest.append(min(row[-1] for row in rows))
        return times, np.array(nearest)

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
