import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata.area import load_area, summary
from geodata.matrix import build_hazards, matrix_frame, travel_time_matrix
from solver.errors import DataError
from solver.traveltime import UNREACHABLE
from tests.conftest import BAD, TINY


def test_tiny_area_loads_with_defaults(tiny_gpkg):
    """The tiny area loads: tier defaults fill missing fields, the shelter gets capacity 300."""
    area = load_area(tiny_gpkg)
    d1 = area.network.depot("D1")
    assert d1.loading_t_per_h == 5.0 and d1.stock["water"] == 900
    assert area.network.point("S1").capacity == 300
    s = summary(area)
    assert s["people"] == 300 and s["nodes"] == 16


def test_matrix_on_the_tiny_grid_matches_hand_computation(tiny_gpkg):
    """D1 (at the SW node) to P3 (3 pieces east on a county road) takes 3 x 881 m at 35x0.95."""
    area = load_area(tiny_gpkg)
    m = travel_time_matrix(area, vehicle="medium")
    i, j = m.origin_ids.index("D1"), m.target_ids.index("P3")
    road = area.roads.graph.length_m[[area.roads.edge_index(e) for e in ("h00", "h01", "h02")]]
    access = area.depot_snap.access_s[0] + area.point_snap.access_s[j]
    expect = road.sum() / (35 * 0.95 / 3.6) + access
    assert m.seconds[i, j] == pytest.approx(expect, abs=1)


def test_flood_lengthens_and_deep_flood_cuts_off(tiny_gpkg):
    """Shallow water slows D1->P3; deep water over P3 makes it unreachable for a medium truck
    but not for the heavy truck that fords 1.1 m."""
    area = load_area(tiny_gpkg)
    dry = travel_time_matrix(area)
    shallow = gpd.GeoDataFrame(
        {"depth_m": [0.2]}, geometry=[shapely.box(115.605, 37.695, 115.625, 37.705)], crs=4326
    )
    wet = travel_time_matrix(area, hazards=build_hazards(area, floods=[shallow]))
    j = dry.target_ids.index("P3")
    assert wet.seconds[0, j] > dry.seconds[0, j]
    deep = gpd.GeoDataFrame(
        {"depth_m": [0.9]}, geometry=[shapely.box(115.625, 37.695, 115.635, 37.705)], crs=4326
    )
    hz = build_hazards(area, floods=[deep])
    assert (travel_time_matrix(area, hazards=hz).seconds[:, j] == UNREACHABLE).all()
    assert (travel_time_matrix(area, vehicle="heavy", hazards=hz).seconds[:, j] < UNREACHABLE).all()


def test_closing_a_road_by_id(tiny_gpkg):
    """Closing h00 and v00 by id cuts D1's node off: D1 reaches nothing."""
    area = load_area(tiny_gpkg)
    hz = build_hazards(area, closed_roads=["h00", "v00"])
    m = travel_time_matrix(area, hazards=hz)
    assert (m.seconds[m.origin_ids.index("D1")] == UNREACHABLE).all()
    with pytest.raises(DataError, match="unknown road 'zz'"):
        build_hazards(area, closed_roads=["zz"])


def test_matrix_frame_leaves_unreachable_cells_empty(tiny_gpkg):
    """Unreachable pairs are empty in the table, in wide and long form."""
    area = load_area(tiny_gpkg)
    m = travel_time_matrix(area, hazards=build_hazards(area, closed_roads=["h00", "v00"]))
    wide = matrix_frame(m)
    assert wide.loc["D1"].isna().all() and wide.loc["D2"].notna().all()
    long = matrix_frame(m, long=True)
    assert long["seconds"].isna().sum() == len(m.target_ids)


def test_depot_far_from_road_is_refused_naming_it(tiny_gpkg):
    """A depot 100 km from the roads is refused when snapped, naming file and depot."""
    area = load_area(tiny_gpkg, depots=BAD / "depots_FarFromRoad.csv")
    with pytest.raises(DataError, match="from the nearest road") as info:
        _ = area.depot_snap
    assert info.value.record == "D5" and "depots_FarFromRoad.csv" in str(info.value)


def test_duplicate_depot_ids_refused_naming_the_file(tiny_gpkg):
    """Duplicate depot ids in a replacement file are refused."""
    with pytest.raises(DataError, match="duplicate id 'D1'") as info:
        load_area(tiny_gpkg, depots=BAD / "depots_DuplicateIds.csv")
    assert "depots_DuplicateIds.csv" in str(info.value)


def test_unknown_area_name(tmp_path):
    """An area that is neither bundled nor a file is named."""
    with pytest.raises(DataError, match="neither a bundled area"):
        load_area("atlantis")


def test_area_without_points_layer(tmp_path):
    """A GeoPackage without a points layer says which layer is missing."""
    from geodata.io import read_layer

    path = tmp_path / "a.gpkg"
    read_layer(TINY / "depots.csv").to_file(path, layer="depots", engine="pyogrio")
    with pytest.raises(DataError, match="missing layer 'points'"):
        load_area(path)


def test_roads_from_osm_replace_the_area_roads(tiny_gpkg, tmp_path):
    """--roads with an OSM extract replaces the area's roads."""
    from tests.geodata.test_roads import write_pbf

    pbf = tmp_path / "r.osm.pbf"
    write_pbf(pbf)
    area = load_area(tiny_gpkg, roads=pbf)
    assert area.roads.graph.n_nodes == 4
    assert np.isfinite(area.point_snap.distance_m).all()
