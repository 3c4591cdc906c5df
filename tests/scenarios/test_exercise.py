"""Timed injects: the scenario format, and playing an exercise forward."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from geodata.area import load_area
from scenarios.dispatch import DispatchRequest
from scenarios.exercise import run_exercise
from scenarios.model import load_scenario, scenario_from_dict
from service.cli import app
from solver.errors import DataError
from tests.conftest import TINY

FAST = DispatchRequest(time_limit_s=0.5, engine="ortools", solution_limit=50)


def test_injects_are_checked():
    sc, _ = load_scenario(TINY / "exercise.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"] = list(reversed(raw["injects"]))
    with pytest.raises(DataError) as e:
        scenario_from_dict(raw)
    assert e.value.field == "injects" and "time order" in e.value.problem
    raw["injects"] = [{"at_h": 1.0}]
    with pytest.raises(DataError) as e:
        scenario_from_dict(raw)
    assert e.value.field == "injects[0]"
    raw["injects"] = [{"at_h": -1.0, "closures": [{"name": "x"}]}]
    with pytest.raises(DataError) as e:
        scenario_from_dict(raw)
    assert e.value.field == "injects[0].at_h"


def test_exercise_replans_at_each_inject(tiny_gpkg):
    """Three steps; the added people count from the second inject on; every step's plan
    keeps the earlier plan's delivered stops."""
    sc, folder = load_scenario(TINY / "exercise.yaml")
    rep = run_exercise(load_area(tiny_gpkg), sc, folder=folder, request=FAST)
    steps = rep.to_json()["steps"]
    assert [s["at_h"] for s in steps] == [0.0, 2.5, 3.0]
    assert steps[1]["closures"] == 1 and steps[2]["added_people"] == 40
    people = [d.doc["kpis"]["targets"][0]["people_total"] for d in rep.steps]
    assert people == [200, 200, 240]
    kept = {(s["vehicle"], s["demand"], s["arrive_h"]) for s in rep.steps[2].doc["committed"]}
    before = {(s["vehicle"], s["demand"], s["arrive_h"]) for s in rep.steps[1].doc["committed"]}
    assert before <= kept


def test_unknown_road_in_an_inject_is_named(tiny_gpkg):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"][0]["closures"] = [{"name": "no such road"}]
    with pytest.raises(DataError) as e:
        run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    assert "closures" in (e.value.field or "")


def test_cli_exercise_run(tiny_gpkg, tmp_path):
    out = tmp_path / "ex"
    args = [
        "exercise",
        "run",
        "--scenario",
        str(TINY / "exercise.yaml"),
        "--area",
        str(tiny_gpkg),
        "--time-limit",
        "0.5",
        "--out",
        str(out),
        "--lang",
        "en",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "exercise.json").read_text(encoding="utf-8"))
    assert len(doc["steps"]) == 3 and (out / "plan_2.json").exists()
    assert "40 more at P4" in result.output
    empty = CliRunner().invoke(
        app,
        [
            "exercise",
            "run",
            "--scenario",
            str(TINY / "scenario.yaml"),
            "--area",
            str(tiny_gpkg),
            "--out",
            str(tmp_path / "e2"),
        ],
    )
    assert empty.exit_code != 0 and "injects" in empty.output
