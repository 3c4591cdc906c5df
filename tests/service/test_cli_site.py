import itertools
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
        "--p",
        1,
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
    ("args", "text", "field"),
    [
        (["--model", "mclp", "--p", 9], "exceeds the 3 new candidate", "p"),
        (["--model", "pmedian", "--p", 4], "exceeds the 3 new candidate", "p"),
        (["--model", "voronoi"], "unknown model", "model"),
        (["--model", "mclp", "--p", 1, "--target", 2], "leaves no time to travel", "target"),
        (["--model", "mclp", "--p", 1, "--curve", 0], "whole number >= 1", "curve"),
        (["--model", "mclp", "--p", 1, "--solver", "gurobi"], "unknown solver", "--solver"),
    ],
)
def test_bad_requests(tiny_gpkg, candidates, tmp_path, args, text, field):
    """Bad requests end with exit code 2 and a bilingual message naming the field."""
    result = run("--area", tiny_gpkg, "--candidates", candidates, *args, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert text in result.output and f"field '{field}'" in result.output
    assert "错误" in result.output
    assert not (tmp_path / "o" / "siting.json").exists()


def test_cutoff_nobody_meets(tiny_gpkg, tmp_path):
    """A travel cutoff shorter than every candidate's nearest trip is an error naming it."""
    path = tmp_path / "z.csv"
    pd.DataFrame({"id": ["Z"], "lon": [115.625], "lat": [37.705]}).to_csv(path, index=False)
    result = run(
        "--area",
        tiny_gpkg,
        "--candidates",
        path,
        "--p",
        1,
        "--travel-hours",
        0.01,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2, result.output
    assert "reaches anyone" in result.output and "field 'travel_hours'" in result.output


def test_all_candidates_excluded(tiny_gpkg, candidates, tmp_path):
    """An exclusion zone over every new candidate is an error naming the exclusion."""
    zone = tmp_path / "zone.geojson"
    zone.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[115.5,37.6],[115.7,37.6],'
        "[115.7,37.8],[115.5,37.8],[115.5,37.6]]]}}]}"
    )
    result = run(
        "--area",
        tiny_gpkg,
        "--candidates",
        candidates,
        "--p",
        1,
        "--exclude",
        zone,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2, result.output
    assert "were excluded" in result.output and "field 'exclude'" in result.output


def test_duplicate_candidate_ids(tiny_gpkg, tmp_path):
    """A candidate file listing an id twice is refused, naming the id."""
    path = tmp_path / "dup.csv"
    pd.DataFrame({"id": ["A", "A"], "lon": [115.61, 115.62], "lat": [37.71, 37.72]}).to_csv(
        path, index=False
    )
    result = run("--area", tiny_gpkg, "--candidates", path, "--p", 1, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert "duplicate" in result.output and "A" in result.output


def test_curve_table_and_plot(tiny_gpkg, candidates, tmp_path):
    """--curve K writes curve.png and a curve p = 0..K whose coverage never falls."""
    out = tmp_path / "c"
    result = run(
        "--area",
        tiny_gpkg,
        "--candidates",
        candidates,
        "--p",
        1,
        "--travel-hours",
        0.05,
        "--curve",
        3,
        "--lang",
        "en",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "siting.json").read_text(encoding="utf-8"))
    curve = doc["curve"]
    assert [c["p"] for c in curve] == [0, 1, 2, 3]
    cover = [c["coverage"] for c in curve]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(cover))
    assert curve[1]["newly_covered"] == pytest.approx(
        curve[1]["people_covered"] - curve[0]["people_covered"]
    )
    assert (out / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert "What each added depot buys" in result.output


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
        0.078,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "siting.json").read_text(encoding="utf-8"))
    assert doc["status"] == "infeasible" and doc["uncoverable"]
    assert "no candidate can cover" in result.output
