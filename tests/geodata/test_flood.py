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
    water_text,
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


def test_a_thousand_small_overlapping_polygons_and_slivers_are_repaired(grid, caplog):
    """1,200 small squares (overlapping in pairs), a zero-area sliver and a bow-tie: the
    sliver is left out, the bow-tie repaired, the overlaps named, and road conditions built."""
    rng = np.random.default_rng(7)
    xs = rng.uniform(115.60, 115.64, 1200)
    ys = rng.uniform(37.69, 37.73, 1200)
    geoms = [shapely.box(x, y, x + 0.002, y + 0.002) for x, y in zip(xs, ys, strict=True)]
    geoms.append(shapely.Polygon([(115.61, 37.71), (115.62, 37.71), (115.61, 37.71)]))
    geoms.append(
        shapely.Polygon([(115.60, 37.70), (115.61, 37.71), (115.61, 37.70), (115.60, 37.71)])
    )
    ids = [f"f{i}" for i in range(len(geoms))]
    ids[-2], ids[-1] = "sliver", "bowtie"
    frame = gpd.GeoDataFrame({"id": ids, "depth_m": 0.5}, geometry=geoms, crs=4326)
    with caplog.at_level(logging.WARNING):
        flood = prepare_flood(frame, source="many")
    assert "sliver" not in set(flood["id"]) and len(flood) == len(geoms) - 1
    assert flood.geometry.is_valid.all() and (shapely.area(flood.geometry.to_numpy()) > 0).all()
    assert "'sliver'" in caplog.text and "no area" in caplog.text
    assert "'bowtie'" in caplog.text and "repaired" in caplog.text
    assert "overlap" in caplog.text and "more" in caplog.text
    cond = flood_conditions(grid, flood)
    assert np.isfinite(cond.depth_m).all() and (cond.flooded_fraction <= 1 + 1e-9).all()
    assert cond.flooded_fraction.max() > 0


def test_a_feature_without_depth_takes_its_scenario_entry_depth():
    """No depth of its own: the entry's depth; none anywhere: unknown, never a number."""
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b"], "depth_m": [1.2, None]},
        geometry=[
            shapely.box(115.60, 37.69, 115.61, 37.70),
            shapely.box(115.62, 37.69, 115.63, 37.70),
        ],
        crs=4326,
    )
    flood = prepare_flood(frame, default_depth_m=0.7)
    assert flood["depth_m"].tolist() == [1.2, 0.7] and flood["depth_known"].all()
    unknown = prepare_flood(frame)
    assert unknown["depth_known"].tolist() == [True, False]
    assert water_text(unknown["depth_m"].iloc[1]) == "water of unknown depth"
    assert water_text(1.2) == "1.2 m of water"
    # Prepared again (as a stored layer is), unknown stays unknown.
    again = prepare_flood(unknown)
    assert again["depth_known"].tolist() == [True, False]


@pytest.mark.parametrize("depth", [float("nan"), float("inf"), 1e308, 31.0, -0.5])
def test_non_finite_or_absurd_depths_are_refused(depth):
    """NaN counts as no depth (unknown); inf, 1e308, over 30 m and negative are refused."""
    frame = gpd.GeoDataFrame(
        {"id": ["a"], "depth_m": [depth]},
        geometry=[shapely.box(115.6, 37.69, 115.61, 37.7)],
        crs=4326,
    )
    if np.isnan(depth):
        assert not prepare_flood(frame)["depth_known"].iloc[0]
        return
    with pytest.raises(DataError) as info:
        prepare_flood(frame)
    assert info.value.record == "a" and info.value.field == "depth_m" and info.value.problem_zh
