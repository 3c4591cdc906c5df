import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.area import load_area
from geodata.siting import candidates_from_file, exclude, generated_candidates, siting_input
from solver.errors import DataError


@pytest.fixture(scope="module")
def tiny(tiny_gpkg):
    return load_area(tiny_gpkg)


def test_generated_candidates_include_existing_depots(tiny):
    """Existing depots are candidates, fixed open, with their tier."""
    c = generated_candidates(tiny, ["existing"])
    assert set(c["id"]) == {"D1", "D2"} and c["existing"].all()
    assert set(c["tier"]) == {"county", "township"}


def test_candidate_file_and_matrix(tiny, tmp_path):
    """Candidates from a CSV get a candidate x point matrix in hours by road."""
    path = tmp_path / "c.csv"
    pd.DataFrame({"id": ["A", "B"], "lon": [115.61, 115.63], "lat": [37.71, 37.73]}).to_csv(
        path, index=False
    )
    cands = candidates_from_file(path)
    inp = siting_input(tiny, cands)
    assert inp.problem.hours.shape == (2, 4)  # shelters are not demand points
    assert np.isfinite(inp.problem.hours).all() and (inp.problem.hours < 1).all()
    assert list(inp.points["id"]) == ["P1", "P2", "P3", "P4"]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ({"id": ["A", "A"], "lon": [115.61, 115.62], "lat": [37.71, 37.72]}, "duplicate candidate"),
        ({"id": ["A", "B"], "lon": [115.61, 115.61], "lat": [37.71, 37.71]}, "same place"),
        ({"name": ["A"], "lon": [115.61], "lat": [37.71]}, "missing column 'id'"),
    ],
)
def test_bad_candidate_files(tmp_path, rows, match):
    """Duplicate ids, duplicate places and a missing id column are refused."""
    path = tmp_path / "c.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError, match=match):
        candidates_from_file(path)


def test_empty_candidate_file(tmp_path):
    """An empty candidate file is refused as empty."""
    path = tmp_path / "c.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        candidates_from_file(path)


def test_exclusion_zone_drops_new_candidates_but_keeps_depots(tiny, tmp_path):
    """Candidates inside a historical flood zone are dropped with a reason; depots stay."""
    path = tmp_path / "c.csv"
    pd.DataFrame({"id": ["IN", "OUT"], "lon": [115.605, 115.63], "lat": [37.705, 37.73]}).to_csv(
        path, index=False
    )
    c = pd.concat(
        [generated_candidates(tiny, ["existing"]), candidates_from_file(path)], ignore_index=True
    )
    c = gpd.GeoDataFrame(c, geometry="geometry", crs=4326)
    zone = gpd.GeoDataFrame(
        {"id": ["zone"]}, geometry=[shapely.box(115.595, 37.695, 115.615, 37.715)], crs=4326
    )
    kept, dropped = exclude(c, [zone])
    assert set(kept["id"]) == {"D1", "D2", "OUT"}  # D1 lies in the zone but is existing
    assert list(dropped["id"]) == ["IN"]
    assert set(dropped["reason"]) == {"inside an exclusion zone (historical flood level)"}
