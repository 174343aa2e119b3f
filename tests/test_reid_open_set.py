"""Open-set matching rules through the product's writer: the margin between the nearest and the next visitor
(too small: "uncertain", never a returning visitor), the threshold tightening with the scope's size, and how
uncertain matches are counted and shown. The rules' figures are measured by `benchmark_reid` and
`reid_calibrate` (docs/benchmarks.md); here faces are unit vectors placed at chosen distances."""

from datetime import timedelta

import numpy as np
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from core.models import Tenant
from core.tenancy import tenant_scope
from ingest.models import Visit
from reid.matching import Match, MatchRule, Outcome, match_rule, scope_size
from reid.models import UncertainMatch, Visitor, VisitorEmbedding
from tests.conftest import FIRST_VISIT, face_embedding, face_visit, session_client
from tests.test_reid import world_in_new_venue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("visitors")]

MODEL = "dlib-resnet-128"


@pytest.fixture(autouse=True)
def scope_always_recounted():
    """No scope size cached between visits (autouse: set up before the `visitors` fixture writes any)."""
    with override_settings(REID_SCOPE_SIZE_SECONDS=0):
        yield


def between(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """The point `share` of the way from `a` to `b` along the great circle (unit vectors)."""
    angle = np.arccos(np.clip(a @ b, -1, 1))
    return (np.sin((1 - share) * angle) * a + np.sin(share * angle) * b) / np.sin(angle)


def visit(world, track_id: int):
    with tenant_scope(world.tenant):
        return Visit.objects.get(key=f"job:{world.job.pk}:visit:{track_id}")


def rules(*bands):
    return override_settings(REID_MATCH_RULES={MODEL: list(bands)})


def two_visitors(world):
    """build_world's visitor A and a second visitor B 0.45 from A (beyond any threshold: a new visitor)."""
    a = face_embedding(world.tenant.pk)
    b = face_embedding(7, near=a, distance=0.45)
    face_visit(world, 2, FIRST_VISIT + timedelta(days=1), b)
    b_visitor = visit(world, 2).visitor
    assert b_visitor not in (None, world.visitor)
    return a, b, b_visitor


def test_the_rule_decides_by_threshold_then_margin():
    rule_ = MatchRule(threshold=0.34, margin=0.04)
    assert rule_.outcome(()) == Outcome.NEW
    assert rule_.outcome((Match(1, 0.35), Match(2, 0.5))) == Outcome.NEW
    assert rule_.outcome((Match(1, 0.30),)) == Outcome.RETURNING  # nobody else in the scope
    assert rule_.outcome((Match(1, 0.30), Match(2, 0.34))) == Outcome.RETURNING  # exactly the margin
    assert rule_.outcome((Match(1, 0.30), Match(2, 0.33))) == Outcome.UNCERTAIN


def test_a_face_about_as_near_to_two_visitors_is_uncertain_joins_nobody_and_is_recorded_once(world_a):
    a, b, b_visitor = two_visitors(world_a)
    midway = between(a, b, 0.5)  # 0.227 from both: well within the threshold, no margin
    with tenant_scope(world_a.tenant):
        before = (Visitor.objects.count(), VisitorEmbedding.objects.count())
    face_visit(world_a, 3, FIRST_VISIT + timedelta(days=2), midway)
    face_visit(world_a, 3, FIRST_VISIT + timedelta(days=2), midway)  # the same events again: stored once
    assert visit(world_a, 3).visitor is None
    with tenant_scope(world_a.tenant):
        assert (Visitor.objects.count(), VisitorEmbedding.objects.count()) == before  # nobody new, no sample
        uncertain = UncertainMatch.objects.get()
    assert uncertain.visit_key == visit(world_a, 3).key and uncertain.venue == world_a.venue
    assert uncertain.distance == pytest.approx(0.227, abs=0.002)
    assert uncertain.runner_up_distance == pytest.approx(0.227, abs=0.002)
    assert uncertain.threshold == match_rule(MODEL, 2).threshold

    nearer_a = between(a, b, 0.3)  # 0.136 from A, 0.315 from B: the margin holds
    face_visit(world_a, 4, FIRST_VISIT + timedelta(days=3), nearer_a)
    assert visit(world_a, 4).visitor == world_a.visitor
    face_visit(world_a, 5, FIRST_VISIT + timedelta(days=3), between(a, b, 0.8))
    assert visit(world_a, 5).visitor == b_visitor


def test_the_threshold_tightens_as_the_scope_grows(world_a):
    a = face_embedding(world_a.tenant.pk)
    with rules([1, 0.38, 0.04], [None, 0.30, 0.04]):
        face_visit(world_a, 2, FIRST_VISIT + timedelta(days=1), face_embedding(2, near=a, distance=0.34))
        assert visit(world_a, 2).visitor == world_a.visitor  # one visitor in scope: 0.38
        face_visit(world_a, 3, FIRST_VISIT + timedelta(days=1), face_embedding(3))  # a second visitor
        face_visit(world_a, 4, FIRST_VISIT + timedelta(days=2), face_embedding(4, near=a, distance=0.34))
        assert visit(world_a, 4).visitor not in (None, world_a.visitor)  # two in scope: 0.30, so a new one
    thresholds = [match_rule(MODEL, n).threshold for n in (0, 1000, 1001, 10_000, 10_001, 100_000, 10**7)]
    assert thresholds == sorted(thresholds, reverse=True) and thresholds[0] > thresholds[-1]


def test_the_scope_size_counts_visitors_with_samples_in_the_matching_scope(world_a):
    second = world_in_new_venue(world_a)
    face_visit(second, 1, FIRST_VISIT, face_embedding(11))
    face_visit(second, 2, FIRST_VISIT, face_embedding(12))
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    assert (scope_size(tenant, world_a.venue, MODEL), scope_size(tenant, second.venue, MODEL)) == (1, 2)
    assert scope_size(tenant, world_a.venue, "other-model-128") == 0
    tenant.reid_scope = Tenant.ReidScope.TENANT
    assert scope_size(tenant, world_a.venue, MODEL) == 3


def test_uncertain_matches_are_counted_and_shown_beside_returning_visitors(world_a, world_b):
    a, b, _ = two_visitors(world_a)
    face_visit(world_a, 3, FIRST_VISIT + timedelta(days=2), between(a, b, 0.5))
    period = {"from": FIRST_VISIT.date().isoformat(), "to": (FIRST_VISIT + timedelta(days=6)).date().isoformat()}
    answer = session_client(world_a.owner).get(reverse("analytics-visitors", args=[world_a.venue.pk]), period).json()
    assert answer["total"]["uncertain"] == 1
    assert (
        answer["total"]["unrecognised_visits"] == 1 and answer["total"]["recognised"] == 2
    )  # neither new nor returning
    other = session_client(world_b.owner).get(reverse("analytics-visitors", args=[world_b.venue.pk]), period).json()
    assert other["total"]["uncertain"] == 0
    client = Client()
    client.force_login(world_a.owner)
    page = client.get(reverse("visitors-page"), {"venue": world_a.venue.pk, **period}).content.decode()
    assert '<span class="kpi" data-kpi="uncertain">1</span>uncertain matches' in page
