"""The check's report names the road behind a cut-off place, and none where no road is."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.area import load_area
from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.model import Closure, load_scenario
from tests.conftest import TINY

STOCK = {
    f"stock_{k}": v
    for k, v in {
        "tent": 100,
        "folding_bed": 300,
        "quilt": 300,
        "clothing_set": 300,
        "food": 150,
        "water": 900,
        "medical_kit": 100,
    }.items()
}


@pytest.fixture(scope="module")
def spur(tmp_path_factory):
    """Depot D1 at A; road r1 (幸福路, ref X001) A-B; road r2 (no name, no ref) B-C; 丙村 at C.

    A dead-end road: closing either road cuts 丙村 off, and nothing else reaches it.
    """
    path = tmp_path_factory.mktemp("spur") / "tiny.gpkg"
    a, b, c = (115.600, 37.700), (115.610, 37.700), (115.620, 37.700)
    roads = gpd.GeoDataFrame(
        {
            "id": ["r1", "r2"],
            "road_class": ["county", "county"],
            "name": ["幸福路", ""],
            "ref": ["X001", ""],
        },
        geometry=[LineString([a, b]), LineString([b, c])],
        crs=4326,
    )
    points = pd.DataFrame(
        {
            "id": ["P2", "P3"],
            "name": ["乙村", "丙村"],
            "kind": ["village", "village"],
            "lon": [b[0], c[0]],
            "lat": [b[1], c[1]],
            "population": [100, 100],
            "provenance": ["synthetic", "synthetic"],
        }
    )
    depots = pd.DataFrame(
        [{"id": "D1", "name": "一号县库", "tier": "county", "lon": a[0], "lat": a[1], **STOCK}]
    )
    depots["provenance"] = "synthetic"
    gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points.lon, points.lat), crs=4326).to_file(
        path, layer="points", driver="GPKG", engine="pyogrio"
    )
    gpd.GeoDataFrame(depots, geometry=gpd.points_from_xy(depots.lon, depots.lat), crs=4326).to_file(
        path, layer="depots", driver="GPKG", engine="pyogrio"
    )
    roads.to_file(path, layer="roads", driver="GPKG", engine="pyogrio")
    return load_area(path)


def report(area, closures, **changes):
    sc, _ = load_scenario(TINY / "scenario.yaml")
    base = sc.affected[0]
    sc = sc.model_copy(
        update={
            "affected": [base.model_copy(update={"point": "P3", "people": 50})],
            "evacuation": sc.evacuation.model_copy(update={"mode": "in_place"}),
            "floods": [],
            "closures": [Closure(road=r) for r in closures],
            "fleet": sc.fleet.model_copy(
                update={"added": [a for a in sc.fleet.added if a.depot == "D1"]}
            ),
            **changes,
        }
    )
    return run_check(apply_scenario(area, sc, folder=TINY)).to_json()


def p3(doc):
    return next(p for p in doc["points"] if p["point"] == "P3")


def test_closing_the_named_road_names_it(spur):
    """Closing 幸福路 (X001) cuts 丙村 off; the report names that road, closed, by name and ref."""
    doc = report(spur, ["r1"])
    assert p3(doc)["reason"] == "unreachable"
    (road,) = p3(doc)["roads"]
    assert (road["id"], road["name"], road["ref"], road["closed"]) == ("r1", "幸福路", "X001", True)


def test_an_unnamed_road_is_named_by_its_id_and_the_places_at_its_ends(spur):
    """Closing the nameless r2 names it by id, between 乙村 and 丙村."""
    road = p3(report(spur, ["r2"]))["roads"][0]
    assert (road["id"], road["name"], road["ref"]) == ("r2", "", "")
    assert {road["from"], road["to"]} == {"乙村", "丙村"}


def test_no_road_is_named_when_roads_are_open(spur):
    """With every road open 丙村 is met and no road is named anywhere."""
    doc = report(spur, [])
    assert p3(doc)["status"] == "met"
    assert all(p["roads"] == [] for p in doc["points"])


def test_a_place_standing_in_deep_water_names_no_road():
    """丙村 of the tiny grid stands in 0.9 m of water: unreachable, but no road is to blame."""
    import tempfile
    from pathlib import Path

    from tests.conftest import write_tiny_area

    with tempfile.TemporaryDirectory() as tmp:
        area = load_area(write_tiny_area(Path(tmp) / "tiny.gpkg"))
        sc, _ = load_scenario(TINY / "scenario.yaml")
        sc = sc.model_copy(
            update={
                "affected": [sc.affected[0].model_copy(update={"point": "P3", "people": 60})],
                "evacuation": sc.evacuation.model_copy(update={"mode": "in_place"}),
            }
        )
        doc = run_check(apply_scenario(area, sc, folder=TINY)).to_json()
    assert p3(doc)["reason"] == "unreachable"
    assert p3(doc)["roads"] == []
