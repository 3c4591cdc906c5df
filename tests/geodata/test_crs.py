from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_in_china,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    wgs84_to_gcj02,
)
from solver.errors import DataError

PAIRS = pd.read_csv(Path(__file__).parents[1] / "data" / "gcj02_wgs84_pairs.csv")
M_PER_DEG = 111_320.0


def metres(dlon, dlat, lat):
    return np.hypot(dlon * M_PER_DEG * np.cos(np.radians(lat)), dlat * M_PER_DEG)


def test_gcj02_to_wgs84_matches_independent_conversion():
    """300 boundary vertices converted by prcoords (rounded to 1e-6 deg) agree within 0.2 m."""
    lon, lat = gcj02_to_wgs84(PAIRS.gcj_lon, PAIRS.gcj_lat)
    err = metres(lon - PAIRS.wgs_lon, lat - PAIRS.wgs_lat, PAIRS.wgs_lat)
    assert err.max() < 0.2


def test_the_gcj02_offset_in_hebei_is_hundreds_of_metres():
    """The conversion moves points by the expected ~500-700 m in Hebei, not by nothing."""
    shift = metres(PAIRS.gcj_lon - PAIRS.wgs_lon, PAIRS.gcj_lat - PAIRS.wgs_lat, PAIRS.wgs_lat)
    assert shift.min() > 300 and shift.max() < 900


@given(st.floats(100.0, 125.0), st.floats(20.0, 50.0))
def test_gcj02_round_trip_is_exact_to_a_millimetre(lon, lat):
    """wgs -> gcj -> wgs returns the start point within 1 mm."""
    g = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*g)
    assert metres(back[0] - lon, back[1] - lat, lat) < 1e-3


@given(st.floats(100.0, 125.0), st.floats(20.0, 50.0))
def test_bd09_round_trip(lon, lat):
    """gcj -> bd -> gcj returns the start point within 1 mm."""
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert metres(back[0] - lon, back[1] - lat, lat) < 1e-3


def test_bd09_offset_is_about_a_kilometre_more():
    """BD-09 lies further from WGS84 than GCJ-02 does, and converts back."""
    lon, lat = 115.68, 37.74
    bd = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    back = bd09_to_wgs84(*bd)
    assert metres(bd[0] - lon, bd[1] - lat, lat) > 700
    assert metres(back[0] - lon, back[1] - lat, lat) < 1e-3


def test_outside_china_is_left_alone():
    """GCJ-02 is the identity outside China (Paris stays in Paris)."""
    assert np.allclose(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85))


@pytest.mark.parametrize("spec", ["wgs84", "WGS-84", "EPSG:4326", "gcj02", "GCJ-02", "bd09"])
def test_known_crs_names(spec):
    """The common spellings are understood."""
    assert parse_crs(spec) in ("wgs84", "gcj02", "bd09")


def test_epsg_code_gives_a_pyproj_crs():
    """A projected EPSG code is passed on to pyproj."""
    assert parse_crs("EPSG:32650").to_epsg() == 32650


def test_unknown_crs_is_named():
    """An unknown CRS is refused with its name and the accepted ones."""
    with pytest.raises(DataError, match=r"unknown CRS 'mars-2'.*gcj02") as info:
        parse_crs("mars-2")
    assert info.value.field == "crs"


def test_swapped_coordinates_are_recognised():
    """lat/lon given as lon/lat is reported as swapped, naming the record."""
    with pytest.raises(DataError, match="swapped") as info:
        check_in_china([115.6, 37.7], [37.7, 115.6], ["A", "B"], source="f.csv")
    assert info.value.record == "B"


def test_outside_china_is_refused():
    """A point in Paris is refused as outside China."""
    with pytest.raises(DataError, match="outside China"):
        check_in_china([2.35], [48.85], ["P"])
