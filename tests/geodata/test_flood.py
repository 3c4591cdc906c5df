import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata.flood import (
    UNKNOWN_DEPTH_M,
    barrier_conditions,
    depth_at,
    flood_conditions,
    prepare_flood,
    read_flood,
)
from geodata.io import read_layer
from geodata.roads import roads_from_lines
from solver.errors import DataError
from tests.conftest import BAD, TINY


@pytest.fixture(scope="module")
def grid():
    return roads_from_lines(read_layer(TINY / "roads.geojson"))


def box_flood(x0, y0, x1, y1, depth=None):
    props = {"id": ["F"]}
    if depth is not None:
        props["depth_m"] = [depth]
    return prepare_flood(gpd.GeoDataFrame(props, geometry=[shapely.box(x0, y0, x1, y1)], crs=4326))


def test_flood_covering_half_an_edge(grid):
    """A box over the east half of edge h00 floods half its length at the given depth."""
    cond = flood_conditions(grid, box_flood(115.605, 37.695, 115.62, 37.705, depth=0.4))
    e = grid.edge_index("h00")
    assert cond.flooded_fraction[e] == pytest.approx(0.5, abs=0.01)
    assert cond.depth_m[e] == 0.4
    assert cond.flooded_fraction[grid.edge_index("h22")] == 0.0


def test_unknown_depth_closes_roads(grid):
    """A flood polygon without depth counts as impassable water."""
    flood = box_flood(115.605, 37.695, 115.62, 37.705)
    assert flood["depth_m"].iloc[0] == UNKNOWN_DEPTH_M and not flood["depth_known"].iloc[0]


def test_self_intersecting_polygon_is_repaired_with_a_warning(caplog):
    """A bow-tie polygon is repaired and the warning names the feature."""
    with caplog.at_level(logging.WARNING):
        flood = read_flood(BAD / "flood_SelfIntersecting.geojson")
    assert flood.geometry.is_valid.all()
    assert "bowtie" in caplog.text and "repaired" in caplog.text


@pytest.mark.parametrize(
    ("name", "match", "field"),
    [
        ("flood_NotPolygon.geojson", "must be polygons", "geometry"),
        ("flood_NegativeDepth.geojson", ">= 0", "depth_m"),
        ("flood_DepthNotANumber.geojson", "not a number", "depth_m"),
    ],
)
def test_bad_flood_files_refused(name, match, field):
    """Bad flood layers are refused, naming the feature and field."""
    with pytest.raises(DataError, match=match) as info:
        read_flood(BAD / name)
    assert info.value.field == field and name in str(info.value)


def test_missing_flood_file():
    """A flood file that does not exist is named."""
    with pytest.raises(DataError, match="does not exist"):
        read_flood(BAD / "no_such_flood.geojson")


def test_point_barrier_closes_the_bridge(grid):
    """A failed-bridge point on h11 closes exactly that edge."""
    b = gpd.GeoDataFrame({"id": ["bridge"]}, geometry=[shapely.Point(115.615, 37.71)], crs=4326)
    cond = barrier_conditions(grid, b)
    assert np.flatnonzero(cond.closed).tolist() == [grid.edge_index("h11")]


def test_point_barrier_far_from_roads_refused(grid):
    """A barrier 10 km from any road is refused, naming it."""
    b = gpd.GeoDataFrame({"id": ["lost"]}, geometry=[shapely.Point(115.7, 37.8)], crs=4326)
    with pytest.raises(DataError, match="from the nearest road") as info:
        barrier_conditions(grid, b)
    assert info.value.record == "lost"


def test_line_barrier_closes_crossed_edges(grid):
    """A north-south cordon between columns 0 and 1 closes the four east-west pieces it cuts."""
    b = gpd.GeoDataFrame(
        {"id": ["cordon"]},
        geometry=[shapely.LineString([(115.605, 37.69), (115.605, 37.74)])],
        crs=4326,
    )
    cond = barrier_conditions(grid, b)
    closed = set(grid.edges.id[cond.closed])
    assert closed == {"h00", "h10", "h20", "h30"}


def test_depth_at_places():
    """Places inside the flood get its depth, others 0."""
    flood = box_flood(115.605, 37.695, 115.62, 37.705, depth=1.2)
    assert depth_at([115.61, 115.65], [37.70, 37.70], flood).tolist() == [1.2, 0.0]
