import json

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import TINY

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["check", *map(str, args)])


def test_check_writes_report_points_and_map(tiny_gpkg, tmp_path):
    """`relief check` writes report.json, points.geojson and map.png for a scenario."""
    out = tmp_path / "out"
    result = run("--area", tiny_gpkg, "--scenario", TINY / "scenario.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [t["hours"] for t in doc["targets"]] == [10.0, 12.0]
    assert doc["people_affected"] == 200
    pts = gpd.read_file(out / "points.geojson")
    assert set(pts["id"]) == {p["id"] for p in doc["points"]}
    assert {"hours_to_met", "status", "reason"} <= set(pts.columns)
    png = (out / "map.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "计划满足人数 Plan: people met" in result.output
    assert "来源县(市、区) County of origin" in result.output


def test_custom_targets_and_chinese_output(tiny_gpkg, tmp_path):
    """--target 6 --target 8 replaces the scenario's targets; --lang zh prints Chinese."""
    out = tmp_path / "o"
    result = run(
        "--area",
        tiny_gpkg,
        "--scenario",
        TINY / "scenario.yaml",
        "--target",
        6,
        "--target",
        8,
        "--lang",
        "zh",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [t["hours"] for t in doc["targets"]] == [6.0, 8.0]
    assert "来源县(市、区)" in result.output and "County of origin" not in result.output


def test_flood_only_check(tiny_gpkg, tmp_path):
    """With only --flood, everyone living in the flood is relocated and checked."""
    flood = tmp_path / "f.geojson"
    flood.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"depth_m":0.4},"geometry":{"type":"Polygon","coordinates":'
        "[[[115.605,37.705],[115.615,37.705],[115.615,37.715],[115.605,37.715],"
        "[115.605,37.705]]]}}]}"
    )
    result = run("--area", tiny_gpkg, "--flood", flood, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert doc["people_affected"] == 120  # P1 lives inside


@pytest.mark.parametrize(
    ("target", "text"), [("0", "positive number"), ("ten hours", "valid number")]
)
def test_bad_target(tiny_gpkg, tmp_path, target, text):
    """A target of 0 or 'ten hours' ends with exit code 2 and no output."""
    result = run(
        "--area",
        tiny_gpkg,
        "--scenario",
        TINY / "scenario.yaml",
        "--target",
        target,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2
    assert text in result.output
    assert not (tmp_path / "o" / "report.json").exists()


def test_unknown_township_in_scenario(tiny_gpkg, tmp_path):
    """A scenario naming an unknown township fails naming the field, exit code 2."""
    sc = tmp_path / "s.yaml"
    sc.write_text("name: t\naffected:\n  - township: 无此乡\n    people: 5\n", encoding="utf-8")
    result = run("--area", tiny_gpkg, "--scenario", sc, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "affected[0].township" in result.output and "无此乡" in result.output


def test_negative_people_in_scenario(tiny_gpkg, tmp_path):
    """Negative people are refused naming the field."""
    sc = tmp_path / "s.yaml"
    sc.write_text("name: t\naffected:\n  - point: P1\n    people: -4\n")
    result = run("--area", tiny_gpkg, "--scenario", sc, "--out", tmp_path / "o")
    assert result.exit_code == 2 and "affected[0].people" in result.output


def test_missing_flood_file(tiny_gpkg, tmp_path):
    """A flood file that does not exist is named; nothing is written."""
    result = run(
        "--area",
        tiny_gpkg,
        "--scenario",
        TINY / "scenario.yaml",
        "--flood",
        tmp_path / "none.geojson",
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2 and "none.geojson" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_earlier_results_survive_a_failed_run(tiny_gpkg, tmp_path):
    """A failing run leaves the previous report untouched."""
    out = tmp_path / "o"
    assert (
        run("--area", tiny_gpkg, "--scenario", TINY / "scenario.yaml", "--out", out).exit_code == 0
    )
    before = (out / "report.json").read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\naffected: []\n")
    assert run("--area", tiny_gpkg, "--scenario", bad, "--out", out).exit_code == 2
    assert (out / "report.json").read_bytes() == before
