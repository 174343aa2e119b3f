"""The re-identification benchmark runs end to end on a small synthetic load, scores the product's open-set rule
for that scope size, and leaves nothing behind."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from core.models import Tenant
from reid.calibration import GRID_MARGINS, GRID_THRESHOLDS
from reid.matching import match_rule
from tests.vision.footage import MODEL_DIR


@pytest.mark.django_db(transaction=True)  # the command drops and builds the HNSW index
def test_benchmark_reid_small(settings, tmp_path):
    settings.VISION_MODEL_DIR = str(MODEL_DIR)
    output = tmp_path / "reid.json"

    call_command("benchmark_reid", visitors=700, queries=60, json_path=output)

    result = json.loads(output.read_text())
    assert result["visitors"] == 700 and 700 <= result["embeddings"] <= 3500
    assert result["recall_at_1"] >= 0.95
    assert 0 < result["match_p50_ms"] <= result["match_p95_ms"]
    rule = match_rule("dlib-resnet-128", 700)
    product = result["product_rule"]
    assert (product["threshold"], product["margin"]) == (rule.threshold, rule.margin)
    assert product["tar"] >= 0.8 and product["far"] <= 0.1, product  # 700 visitors: a small scope
    assert len(result["grid"]) == len(GRID_THRESHOLDS) * len(GRID_MARGINS)
    loosest = next(row for row in result["grid"] if (row["threshold"], row["margin"]) == (0.38, 0.0))
    assert loosest["far"] > product["far"]  # without a margin, more strangers are taken for someone
    # the synthetic distances are fitted to the real photos'
    real, synthetic = result["distances"]["real"], result["distances"]["synthetic"]
    assert abs(real["same_median"] - synthetic["same_median"]) < 0.02
    assert abs(real["different_p1"] - synthetic["different_p1"]) < 0.03
    assert not Tenant.objects.filter(slug="benchmark-reid-synthetic").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'reid_embedding_hnsw_128'")
        assert cursor.fetchone()
