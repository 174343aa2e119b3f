"""The re-identification benchmark runs end to end on a small synthetic load and leaves nothing behind."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from tests.vision.footage import MODEL_DIR
from venues.models import Tenant


@pytest.mark.django_db(transaction=True)  # the command drops and builds the HNSW index
def test_benchmark_reid_small(settings, tmp_path):
    settings.VISION_MODEL_DIR = str(MODEL_DIR)
    output = tmp_path / "reid.json"

    call_command("benchmark_reid", embeddings=2000, queries=50, json_path=output)

    result = json.loads(output.read_text())
    assert {"embeddings", "p50_ms", "p95_ms", "recall_at_1"} <= result.keys()
    assert result["embeddings"] == 2000
    assert result["recall_at_1"] >= 0.95
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    assert not Tenant.objects.filter(slug="benchmark-reid-synthetic").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'reid_embedding_hnsw_128'")
        assert cursor.fetchone()
