"""What the pipeline tells the rest of the product: frozen, typed events.

Times are footage time (`datetime`, timezone-aware): the recording's start plus the frame's presentation
time, never the time of processing. Positions are normalised image coordinates (0..1, x right, y down)
of a person's feet (the bottom-centre of the box). `track_id` is the visitor's id within one run of the
pipeline, stable across short tracking breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Demographics:
    """Estimated from the visitor's best face; absent when no usable face was seen (never invented)."""

    age_bracket: str  # one of AGE_BRACKETS
    age_confidence: float  # 0..1
    gender: str  # "female" | "male"
    gender_confidence: float  # 0..1


AGE_BRACKETS = ("0-12", "13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


@dataclass(frozen=True)
class Engagement:
    score: int  # 0..100
    behaviour: str  # "engaged" | "browsing" | "waiting" | "passing"
    facing_ratio: float  # share of pose observations facing the camera, 0..1
    stationary_ratio: float  # share of time standing still, 0..1
    posture: str | None = None  # "upright" | "leaning" | "arms crossed", held most of the visit; None: no pose told


@dataclass(frozen=True)
class ZoneVisit:
    """One stay in a zone: each enter/exit pair is its own visit; leaving and coming back makes a new one."""

    zone: str
    entered_at: datetime
    exited_at: datetime

    @property
    def dwell_seconds(self) -> float:
        return (self.exited_at - self.entered_at).total_seconds()


@dataclass(frozen=True)
class Event:
    track_id: int
    at: datetime


@dataclass(frozen=True)
class VisitStarted(Event):
    pass


@dataclass(frozen=True)
class VisitEnded(Event):
    """The track's summary, emitted when it ends (`at` is when it was last seen)."""

    first_seen: datetime
    zone_visits: tuple[ZoneVisit, ...]
    trajectory: tuple[tuple[float, float, float], ...]  # (seconds since first seen, x, y), about 1 per second
    demographics: Demographics | None = None
    engagement: Engagement | None = None
    face_embedding: tuple[float, ...] | None = None
    face_model: str | None = None  # which embedding model made it: only like is compared with like

    @property
    def duration_seconds(self) -> float:
        return (self.at - self.first_seen).total_seconds()

    @property
    def zone_path(self) -> tuple[str, ...]:
        return tuple(v.zone for v in self.zone_visits)


@dataclass(frozen=True)
class ZoneEntered(Event):
    zone: str


@dataclass(frozen=True)
class ZoneExited(Event):
    zone: str
    entered_at: datetime

    @property
    def dwell_seconds(self) -> float:
        return (self.at - self.entered_at).total_seconds()


@dataclass(frozen=True)
class LineCrossed(Event):
    line: str
    direction: str  # "in" | "out"


@dataclass(frozen=True)
class QueueJoined(Event):
    zone: str


@dataclass(frozen=True)
class QueueServed(Event):
    """Reached a checkout zone after queueing; `at` is when the checkout zone was entered."""

    zone: str
    checkout_zone: str
    joined_at: datetime

    @property
    def wait_seconds(self) -> float:
        return (self.at - self.joined_at).total_seconds()


@dataclass(frozen=True)
class QueueAbandoned(Event):
    """Left the queue and did not reach a checkout zone; `at` is when the queue was left."""

    zone: str
    joined_at: datetime

    @property
    def wait_seconds(self) -> float:
        return (self.at - self.joined_at).total_seconds()
