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

FAST = DispatchRequest(time_limit_s=1.0, engine="greedy")


def dem(stop):
    """The first demand a plan.json stop carries goods for, as (point, overflow)."""
    d = stop["parts"][0]["demand"]
    return d["point"], d["overflow"]


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
    said: list[tuple[str, float]] = []
    rep = run_exercise(
        load_area(tiny_gpkg),
        sc,
        folder=folder,
        request=FAST,
        progress=lambda stage, frac: said.append((stage, frac)),
    )
    steps = rep.to_json()["steps"]
    assert [s["at_h"] for s in steps] == [0.0, 2.5, 3.0]
    # Progress runs through every step, never backwards, within 0..1.
    fracs = [f for _, f in said]
    assert fracs == sorted(fracs) and fracs[0] >= 0.0 and fracs[-1] <= 1.0
    assert {stage.split(":")[0] for stage, _ in said} == {"start", "inject 1", "inject 2"}
    assert fracs[-1] > 2 / 3
    assert steps[1]["closures"] == 1 and steps[2]["added_people"] == 40
    people = [d.doc["kpis"]["targets"][0]["people_total"] for d in rep.steps]
    assert people == [200, 200, 240]
    kept = {(s["vehicle"], dem(s), s["arrive_h"]) for s in rep.steps[2].doc["committed"]}
    before = {(s["vehicle"], dem(s), s["arrive_h"]) for s in rep.steps[1].doc["committed"]}
    assert before <= kept


def test_unknown_road_in_an_inject_is_named(tiny_gpkg):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"][0]["closures"] = [{"name": "no such road"}]
    with pytest.raises(DataError) as e:
        run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    assert e.value.field == "injects[0].closures[0].name"


@pytest.mark.parametrize(
    ("inject", "field"),
    [
        ({"at_h": 4, "depots_lost": ["D9"]}, "injects[2].depots_lost[0]"),
        (
            {"at_h": 4, "add_people": [{"point": "nowhere", "people": 5}]},
            "injects[2].add_people[0]",
        ),
    ],
)
def test_unknown_depot_or_place_in_an_inject_is_named_before_playing(tiny_gpkg, inject, field):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"].append(inject)
    with pytest.raises(DataError) as e:
        run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    assert (e.value.field or "").startswith(field)


def test_a_depot_lost_twice_is_refused(tiny_gpkg):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"] += [{"at_h": 4, "depots_lost": ["D2"]}, {"at_h": 5, "depots_lost": ["D2"]}]
    with pytest.raises(DataError) as e:
        run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    assert e.value.field == "injects[3].depots_lost[0]"


@pytest.mark.parametrize("at_h", [1.2, 3.3755, 3.4])
def test_a_lost_depot_takes_its_stock_and_fleet(tiny_gpkg, at_h):
    """From the hour D1 floods nothing leaves it: its parked trucks and the goods still in
    it are lost (reported), what it had sent is kept, and what no other depot can replace is
    unserved with reason depot_lost; no demand disappears from the books."""
    sc, folder = load_scenario(TINY / "dispatch.yaml")
    raw = sc.model_dump(mode="json")
    raw["injects"] = [{"at_h": at_h, "label": "D1 flooded", "depots_lost": ["D1"]}]
    rep = run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    start, end = rep.steps[0].doc, rep.steps[1].doc
    red = end["redispatch"]
    assert red["depots_lost"] == ["D1"]
    assert set(red["vehicles_lost_with_depot"]) == {"D1/light-1", "D1/light-2"}
    later = [s for r in end["routes"] for s in r["stops"] if s["leave_h"] > at_h]
    assert all(s["depot"] != "D1" for s in later)
    sent = {
        (dem(s), s["arrive_h"])
        for s in start["committed"]
        + [s for r in start["routes"] for s in r["stops"] if s["leave_h"] <= at_h]
    }
    assert sent == {(dem(s), s["arrive_h"]) for s in end["committed"]}
    pending = [
        s for r in start["routes"] for s in r["stops"] if s["depot"] == "D1" and s["leave_h"] > at_h
    ]
    lost = sum(g["quantity"] for g in red["goods_lost_in_depots"])
    assert lost == sum(q for s in pending for q in s["items"].values())
    by_reason = end["kpis"]["unserved_units_by_reason"]
    assert by_reason.get("depot_lost", 0) <= lost
    if lost:  # the other depot (D2) holds a tenth of D1's stock: it cannot replace it all
        assert by_reason["depot_lost"] > 0
    # Every unit needed is delivered, under way or listed unserved.
    need = (
        sum(int(q) for r in start["routes"] for s in r["stops"] for q in s["items"].values())
        + start["kpis"]["unserved_units"]
    )
    got = (
        sum(int(q) for s in end["committed"] for q in s["items"].values())
        + sum(int(q) for r in end["routes"] for s in r["stops"] for q in s["items"].values())
        + end["kpis"]["unserved_units"]
    )
    assert got == need
    summary = rep.to_json()["steps"][1]
    assert summary["depots_lost"] == ["D1"]
    assert (summary["plan_share"]["10"] < 1.0) == bool(lost)


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


def test_a_truck_out_when_its_depot_floods_still_delivers_what_it_carries(tiny_gpkg):
    """People stay in place at three villages. D1 floods while one of its trucks is on its
    way to a village: that truck still delivers what it carries (the trip is kept as
    planned), then is out of service with its depot; nothing loads at D1 afterwards."""
    sc, folder = load_scenario(TINY / "dispatch.yaml")
    raw = sc.model_dump(mode="json")
    raw["affected"] = [{"point": p, "people": n} for p, n in (("P1", 8), ("P2", 8), ("P4", 8))]
    raw["evacuation"] = {"mode": "in_place"}
    start = run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    d1 = [
        (r["vehicle"], s)
        for r in start.steps[0].doc["routes"]
        if r["depot"] == "D1"
        for s in r["stops"]
    ]
    assert d1, "set-up: the plan sends D1 trucks"
    vid, trip = d1[0]
    at_h = (trip["leave_h"] + trip["arrive_h"]) / 2  # on its way
    raw["injects"] = [{"at_h": at_h, "depots_lost": ["D1"]}]
    rep = run_exercise(load_area(tiny_gpkg), scenario_from_dict(raw), folder=folder, request=FAST)
    end = rep.steps[1].doc
    assert vid in end["redispatch"]["vehicles_lost_with_depot"]
    assert vid not in end["redispatch"]["stuck_vehicles"]
    kept = [s for s in end["committed"] if s["vehicle"] == vid]
    assert any(dem(s) == dem(trip) and s["arrive_h"] == trip["arrive_h"] for s in kept)
    assert not any(r["vehicle"] == vid for r in end["routes"])  # out of service after
    assert all(r["depot"] != "D1" for r in end["routes"])
