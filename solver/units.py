"""Time and speed units: the one place hours, minutes and seconds are converted.

The core keeps durations in whole seconds (travel-time matrices, CP-SAT and routing
models) and shows them in hours (timelines, reports). Every conversion between the two, and
from road speeds in km/h to metres per second, goes through this module, so a reader never
wonders whether a bare ``3600`` is a time limit or an hour. The functions take a number or a
NumPy array and return the same kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # NumPy is not imported for the CLI's start-up (``relief --help``)
    from numpy.typing import NDArray

SECONDS_PER_MINUTE = 60
MINUTES_PER_HOUR = 60
SECONDS_PER_HOUR = SECONDS_PER_MINUTE * MINUTES_PER_HOUR
HOURS_PER_DAY = 24
SECONDS_PER_DAY = SECONDS_PER_HOUR * HOURS_PER_DAY
#: km/h per m/s (1000 m / 3600 s).
KMH_PER_MPS = SECONDS_PER_HOUR / 1000.0

#: A number or a NumPy array; each function returns the same kind.
Num = TypeVar("Num", float, "NDArray[Any]")


def hours_to_seconds(hours: Num) -> Num:
    """Seconds in ``hours`` (not rounded: round as the caller's rule says)."""
    return hours * float(SECONDS_PER_HOUR)


def seconds_to_hours(seconds: Num) -> Num:
    """Hours in ``seconds``."""
    return seconds / float(SECONDS_PER_HOUR)


def minutes_to_hours(minutes: Num) -> Num:
    """Hours in ``minutes``."""
    return minutes / float(MINUTES_PER_HOUR)


def kmh_to_mps(kmh: Num) -> Num:
    """Metres per second at ``kmh`` kilometres per hour."""
    return kmh / KMH_PER_MPS


def hours_of_day(hour: int, minute: int = 0, second: float = 0.0) -> float:
    """A clock time as hours after midnight (``08:30`` -> 8.5)."""
    return hour + minutes_to_hours(minute) + seconds_to_hours(second)


def to_the_minute(at: datetime) -> datetime:
    """``at`` rounded to the nearest minute (half a minute rounds up)."""
    at = at + timedelta(seconds=SECONDS_PER_MINUTE / 2)
    return at.replace(second=0, microsecond=0)
