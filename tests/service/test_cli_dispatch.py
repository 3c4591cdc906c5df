"""`relief dispatch` and `relief redispatch` end to end on the tiny grid."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from service.cli import app
from tests.conftest import TINY

runner = CliRunner()
FAST = ["--time-limit", "1", "--engine", "greedy"]


def dispatch(tiny_gpkg, out, *extra):
    args = ["dispatch", "--area", tiny_gpkg, "--scenario", TINY / "dispatch.yaml", "--out", out]
    return runner.invoke(app, [*map(str, args), *FAST, *extra])


def test_dispatch_writes_plan_routes_sheets_and_map(tiny_gpkg, tmp_path):
    out = tmp_path / "plan"
    result = dispatch(tiny_gpkg, out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    stops = sum(len(r["stops"]) for r in doc["routes"])
    assert stops == doc["kpis"]["stops"] > 0
    with (out / "sheets.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == stops
    routes = json.loads((out / "routes.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["vehicle"] for f in routes["features"]} == {
        r["vehicle"] for r in doc["routes"]
    }
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert "调度计划 Dispatch plan" in result.output
    assert "no plan can meet more than" in result.output.replace("\n", " ")


def test_redispatch_from_the_cli(tiny_gpkg, tmp_path):
    first = tmp_path / "a"
    assert dispatch(tiny_gpkg, first).exit_code == 0
    second = tmp_path / "b"
    args = ["redispatch", "--plan", first / "plan.json", "--at", "3", "--out", second]
    args += ["--close-name", "横0-1", "--area", tiny_gpkg, "--time-limit", "0.5", "--lang", "en"]
    result = runner.invoke(app, list(map(str, args)))
    assert result.exit_code == 0, result.output
    doc = json.loads((second / "plan.json").read_text(encoding="utf-8"))
    assert doc["redispatch"]["at_h"] == 3.0
    assert doc["redispatch"]["closures"][0]["name"] == "横0-1"
    assert "re-dispatch at 3 h" in result.output
    # The old plan is left as it was.
    old = json.loads((first / "plan.json").read_text(encoding="utf-8"))
    assert "redispatch" not in old


def test_redispatch_refuses_to_overwrite_and_bad_input(tiny_gpkg, tmp_path):
    first = tmp_path / "a"
    assert dispatch(tiny_gpkg, first).exit_code == 0
    before = (first / "plan.json").read_bytes()
    base = ["redispatch", "--plan", str(first / "plan.json"), "--area", str(tiny_gpkg)]
    result = runner.invoke(app, [*base, "--at", "3", "--out", str(first)])
    assert result.exit_code != 0 and "--out" in result.output
    result = runner.invoke(
        app, [*base, "--at", "3", "--out", str(tmp_path / "x"), "--close-at", "115.6;37.7"]
    )
    assert result.exit_code != 0 and "--close-at" in result.output
    result = runner.invoke(
        app, [*base, "--at", "3", "--out", str(tmp_path / "z"), "--add-people", "P4=many"]
    )
    assert result.exit_code != 0 and "--add-people" in result.output
    result = runner.invoke(
        app, [*base, "--at", "3", "--out", str(tmp_path / "y"), "--close-name", "no such road"]
    )
    assert result.exit_code != 0 and "closures" in result.output
    result = runner.invoke(
        app, [*base, "--at", "3", "--out", str(tmp_path / "w"), "--depot-lost", "D9"]
    )
    assert result.exit_code == 2 and "depots_lost" in result.output and "D9" in result.output
    assert (first / "plan.json").read_bytes() == before


def test_redispatch_after_a_depot_is_lost(tiny_gpkg, tmp_path):
    first = tmp_path / "a"
    assert dispatch(tiny_gpkg, first).exit_code == 0
    args = ["redispatch", "--plan", first / "plan.json", "--at", "1", "--out", tmp_path / "b"]
    args += ["--depot-lost", "D2", "--area", tiny_gpkg, "--time-limit", "0.5", "--lang", "en"]
    result = runner.invoke(app, list(map(str, args)))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "b" / "plan.json").read_text(encoding="utf-8"))
    assert doc["redispatch"]["depots_lost"] == ["D2"]
    assert doc["redispatch"]["vehicles_lost_with_depot"] == ["D2/light-1"]
    assert all(s["depot"] != "D2" for r in doc["routes"] for s in r["stops"])


def test_dispatch_bad_options_name_the_field(tiny_gpkg, tmp_path):
    result = dispatch(tiny_gpkg, tmp_path / "o", "--trips", "0")
    assert result.exit_code != 0 and "trips" in result.output
    result = dispatch(tiny_gpkg, tmp_path / "o", "--target", "-3")
    assert result.exit_code != 0 and "target" in result.output
    assert not (tmp_path / "o" / "plan.json").exists()
