"""Validators shared by the models (admin) and the API serializers, with messages that say what is wrong."""

import math
import re
import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from vision.egress import UnsafeUrl, check_url

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
SUPPORTED_YEARS = (2000, 2100)  # times and days outside these years are a wrong clock or a typo, not footfall
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"Unknown time zone {value!r}: use an IANA name such as 'Europe/London'.")


def validate_country_code(value: str) -> None:
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValidationError(f"Use a two-letter ISO 3166-1 country code such as 'FR', not {value!r}.")


def validate_opening_hours(value) -> None:
    """`{"mon": ["09:00-21:00"], "sat": ["10:00-14:00", "15:00-18:00"], "fri": ["22:00-02:00"]}`.

    A closing time earlier than the opening time means the venue closes after midnight.
    """
    if not isinstance(value, dict):
        raise ValidationError('Opening hours must be an object such as {"mon": ["09:00-21:00"]}.')
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(f"Unknown day {day!r}: use one of {', '.join(WEEKDAYS)}.")
        if not isinstance(intervals, list):
            raise ValidationError(f'{day}: expected a list of "HH:MM-HH:MM" intervals.')
        for interval in intervals:
            if not isinstance(interval, str) or not _INTERVAL.match(interval):
                raise ValidationError(f'{day}: {interval!r} is not an interval like "09:00-21:00".')
            opens, closes = interval.split("-")
            if opens == closes:
                raise ValidationError(f"{day}: {interval!r} opens and closes at the same time.")


def _point(value, index: int) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in value)
    ):
        raise ValidationError(f"Point {index + 1} must be a pair of numbers [x, y], got {value!r}.")
    x, y = float(value[0]), float(value[1])
    if not (math.isfinite(x) and math.isfinite(y) and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValidationError(
            f"Point {index + 1} {list(value)!r} is outside the image: coordinates are fractions of the frame, 0 to 1."
        )
    return x, y


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1, p2, q1, q2) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4)


def validate_polygon(value) -> None:
    """A zone: at least 3 points [x, y] in normalised image coordinates, not self-intersecting."""
    if not isinstance(value, list):
        raise ValidationError("A polygon must be a list of points [[x, y], ...].")
    if len(value) < 3:
        raise ValidationError(f"A polygon needs at least 3 points, got {len(value)}.")
    if len(value) > 100:
        raise ValidationError(f"A polygon may have at most 100 points, got {len(value)}.")
    points = [_point(p, i) for i, p in enumerate(value)]
    edges = list(zip(points, points[1:] + points[:1], strict=True))
    for i, (a, b) in enumerate(edges):
        for j in range(i + 2, len(edges)):
            if i == 0 and j == len(edges) - 1:
                continue  # adjacent through the closing edge
            if _segments_cross(a, b, *edges[j]):
                raise ValidationError(f"The polygon crosses itself (edges {i + 1} and {j + 1}).")
    if abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in edges)) / 2 < 1e-6:
        raise ValidationError("The polygon has no area: its points lie on one line.")


def validate_line(value) -> None:
    """A counting line: two distinct points [[x1, y1], [x2, y2]] in normalised image coordinates."""
    if not isinstance(value, list) or len(value) != 2:
        raise ValidationError("A line must be two points [[x1, y1], [x2, y2]].")
    start, end = (_point(p, i) for i, p in enumerate(value))
    if math.dist(start, end) < 1e-3:
        raise ValidationError("The line's two points are the same.")


def validate_stream_url(value: str) -> None:
    """A camera stream must be a URL of its schemes that reaches the public internet (or, where an on-premises
    install allows private sources, any address); checked again on the address actually opened
    (vision.egress.pinned_url)."""
    URLValidator(schemes=list(STREAM_SCHEMES))(value)
    try:
        check_url(
            value, schemes=STREAM_SCHEMES, allowed_hosts=None,
            allow_private=settings.VIDEO_URL_ALLOW_PRIVATE,
        )  # fmt: skip
    except UnsafeUrl as error:
        raise ValidationError(f"The camera's stream URL is refused: {error}") from error
