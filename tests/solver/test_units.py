"""Time and speed units (solver/units.py); the core converts them only there."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from solver.units import (
    hours_of_day,
    hours_to_seconds,
    kmh_to_mps,
    minutes_to_hours,
    seconds_to_hours,
    to_the_minute,
)

ROOT = Path(__file__).parents[2]


def test_conversions_match_the_definitions():
    """An hour is 3,600 s and 60 min; 36 km/h is 10 m/s; 08:30:36 is 8.51 h."""
    assert hours_to_seconds(1.5) == 5400.0
    assert seconds_to_hours(900) == 0.25
    assert minutes_to_hours(45) == 0.75
    assert kmh_to_mps(36.0) == 10.0
    assert hours_of_day(8, 30, 36) == 8.51


def test_arrays_convert_element_by_element():
    """A NumPy array converts as its elements do, keeping its shape."""
    out = seconds_to_hours(np.array([[0, 3600], [7200, 1800]]))
    assert out.shape == (2, 2) and out.tolist() == [[0.0, 1.0], [2.0, 0.5]]


@given(st.floats(0, 1e6, allow_nan=False))
def test_hours_and_seconds_round_trip(h):
    """Hours to seconds and back gives the hours again (to float precision)."""
    assert abs(seconds_to_hours(hours_to_seconds(h)) - h) <= 1e-12 * max(1.0, h)


def test_to_the_minute_rounds_half_up_and_keeps_the_zone():
    """29 s rounds down, 30 s up (across the hour), and the UTC offset stays."""
    tz = timezone(timedelta(hours=8))
    assert to_the_minute(datetime(2024, 7, 30, 9, 59, 29, tzinfo=tz)) == datetime(
        2024, 7, 30, 9, 59, tzinfo=tz
    )
    assert to_the_minute(datetime(2024, 7, 30, 9, 59, 30, 1, tzinfo=tz)) == datetime(
        2024, 7, 30, 10, 0, tzinfo=tz
    )


def test_the_core_converts_units_only_through_solver_units():
    """No bare 3600 or km/h-to-m/s 3.6 in solver/, geodata/ or scenarios/ but units.py."""
    bare = re.compile(r"(?<![\w.])(3600(\.0*)?|3_600|86400|3\.6)(?![\w.])")
    found = []
    for package in ("solver", "geodata", "scenarios"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "units.py" and package == "solver":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if bare.search(code) and not code.strip().startswith(('"', "'")):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "use solver.units instead:\n" + "\n".join(found)
