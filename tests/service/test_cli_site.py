import json

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def candidates(tmp_path_factory):
    path = tmp_path_factory.mktemp("cand") / "c.csv"
    pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "name": ["甲", "乙", "丙"],
            "lon": [115.61, 115.63, 115.60],
            "lat": [37.71, 37.73, 37.72],
        }
    ).to_csv(path, index=False)
    return path


def run(*args):
    return runner.invoke(app, ["site", *map(str, args)])


@pytest.mark.parametrize("model", ["mclp", "lscp", "pmedian", "pcenter", "capacitated", "tiered"])
def test_every_model_writes_its_outputs(tiny_gpkg, candidates, tmp_path, model):
    """Each model runs on the tiny area and writes siting.json, sites.geojson and map.png."""
    out = tmp_path / model
    result = run(
        "--area",
        tiny_gpkg,
        "--model",
        model,
        "--candidates",
        candidates,
        "--p",
        1,
        "--travel-hours",
        0.05,
        "--tier-p",
        "township=1:0.05",
        "--tier-p",
        "county=0:0.1",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    assert {"status", "objective", "bound", "sites", "coverage_before", "coverage_after"} <= set(
        doc
    )
    assert doc["status"] in ("optimal", "infeasible")
    for s in doc["sites"]:
        assert {"id", "lon", "lat", "tier", "size_class"} <= set(s)
    sites = gpd.read_file(out / "sites.geojson")
    assert sites["new"].sum() == len(doc["sites"])
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"


def test_robust_needs_floods(tiny_gpkg, candidates, tmp_path):
    """Robust siting without any flood scenario is refused."""
    result = run(
        "--area",
        tiny_gpkg,
        "--model",
        "robust",
        "--candidates",
        candidates,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2 and "flood" in result.output


def test_robust_with_a_flood(tiny_gpkg, candidates, tmp_path):
    """With a flood scenario the robust model reports coverage per scenario."""
    flood = tmp_path / "f.geojson"
    flood.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"depth_m":1.0},"geometry":{"type":"Polygon","coordinates":'
        "[[[115.605,37.725],[115.615,37.725],[115.615,37.735],[115.605,37.735],"
        "[115.605,37.725]]]}}]}"
    )
    result = run(
        "--area",
        tiny_gpkg,
        "--model",
        "robust",
        "--candidates",
        candidates,
        "--flood",
        flood,
        "--p",
        1,
        "--travel-hours",
        0.05,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "siting.json").read_text(encoding="utf-8"))
    assert doc["scenarios"] == 2 and len(doc["detail"]["per_scenario"]) == 2


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--model", "mclp", "--p", 9], "exceeds"),
        (["--model", "voronoi"], "unknown model"),
        (["--model", "mclp", "--target", 2], "leaves no time to travel"),
        (["--model", "mclp", "--solver", "gurobi"], "unknown solver"),
    ],
)
def test_bad_requests(tiny_gpkg, candidates, tmp_path, args, text):
    """Bad requests end with exit code 2 and a message naming the problem."""
    result = run("--area", tiny_gpkg, "--candidates", candidates, *args, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert text in result.output
    assert not (tmp_path / "o" / "siting.json").exists()


def test_infeasible_covering_lists_the_points(tiny_gpkg, tmp_path):
    """A covering no candidate can complete lists the points it cannot reach."""
    path = tmp_path / "c.csv"
    pd.DataFrame({"id": ["A"], "lon": [115.60], "lat": [37.70]}).to_csv(path, index=False)
    result = run(
        "--area",
        tiny_gpkg,
        "--model",
        "lscp",
        "--candidates",
        path,
        "--travel-hours",
        0.02,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "siting.json").read_text(encoding="utf-8"))
    assert doc["status"] == "infeasible" and doc["uncoverable"]
    assert "no candidate can cover" in result.output
