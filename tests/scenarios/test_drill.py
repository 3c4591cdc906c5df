"""Drill rules without the service: what players see, playing their trips, the score."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.area import load_area
from scenarios.check import run_check
from scenarios.dispatch import DispatchRequest
from scenarios.drill import (
    Decision,
    DrillBook,
    Released,
    Submitted,
    decision_from_dict,
    player_view,
    score_drill,
)
from scenarios.model import Fleet, Inject, load_scenario
from solver.errors import DataError
from solver.fleet import FleetEntry
from solver.loading import DOCK_H
from tests.conftest import TINY

FAST = DispatchRequest(time_limit_s=1.0, engine="greedy")
RELEASED = [Released(0, 2.5), Released(1, 3.0)]
VEHICLES = ["D1/light-1", "D1/light-2", "D2/light-1"]
ITEMS = ["folding_bed", "quilt", "clothing_set", "food", "water", "medical_kit"]


@pytest.fixture(scope="module")
def book(tiny_gpkg):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    b = DrillBook(load_area(tiny_gpkg), sc, RELEASED, FAST, folder=folder)
    return b, run_check(b.final)


def test_players_see_released_injects_only():
    sc, _ = load_scenario(TINY / "exercise.yaml")
    view = player_view(sc, [Released(1, 2.0)], 2.0)
    assert view["scenario"]["injects"] == []
    assert [(i["index"], i["at_h"]) for i in view["released"]] == [(1, 2.0)]
    assert "横0-1" not in str(view)  # inject 0 is not released: its road stays secret


def test_decisions_name_the_bad_field():
    with pytest.raises(DataError) as e:
        decision_from_dict({"trips": [{"vehicle": "V", "stops": [{"point": "S1", "items": {}}]}]})
    assert e.value.field == "trips[0].stops[0].items"
    with pytest.raises(DataError) as e:
        decision_from_dict({"trips": [], "replace_pending": False})
    assert e.value.field == "trips"
    with pytest.raises(DataError) as e:
        decision_from_dict({"trips": [{"vehicle": "V", "stops": []}]})
    assert e.value.field == "trips[0].stops"


def _trip(vehicle, items, point="S1"):
    return {"vehicle": vehicle, "stops": [{"point": point, "items": items}]}


def test_a_re_plan_cancels_trips_not_yet_left(book):
    b, _ = book
    first = decision_from_dict({"trips": [_trip("D1/light-1", {"food": 5})] * 3})
    runs = b.play([Submitted(0.0, "p", first)])
    assert all(r.leave_h is not None for r in runs)
    cut = (runs[0].leave_h + runs[1].leave_h) / 2  # the first trip has left, the others not
    again = Decision(replace_pending=True)
    runs = b.play([Submitted(0.0, "p", first), Submitted(cut, "p", again)])
    assert [r.cancelled_h for r in runs] == [None, cut, cut]
    assert runs[1].visits == {} and runs[2].visits == {}


def test_a_re_plan_keeps_the_past_and_reuses_what_it_frees(book):
    """The trip that had left keeps its hours; the re-plan's own trip may take the stock
    the cancelled trips held (D2 holds 15 food)."""
    b, _ = book
    first = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 5})] * 3})
    before = b.play([Submitted(0.0, "p", first)])
    cut = (before[0].leave_h + before[1].leave_h) / 2
    again = decision_from_dict(
        {"trips": [_trip("D2/light-1", {"food": 10})], "replace_pending": True}
    )
    subs = [Submitted(0.0, "p", first)]
    b.check(again, cut, subs, "p")  # 5 sent + 10 new = 15: allowed
    runs = b.play([*subs, Submitted(cut, "p", again)])
    assert (runs[0].leave_h, runs[0].visits) == (before[0].leave_h, before[0].visits)
    assert runs[3].leave_h is not None and runs[3].leave_h >= cut
    too_much = decision_from_dict(
        {"trips": [_trip("D2/light-1", {"food": 11})], "replace_pending": True}
    )
    with pytest.raises(DataError) as e:
        b.check(too_much, cut, subs, "p")
    assert e.value.field == "trips[0].stops"


def _cut_s1(tiny_gpkg, at_h):
    """The drill book with S1's four roads closed at ``at_h`` (an extra inject)."""
    sc, folder = load_scenario(TINY / "exercise.yaml")
    cut = {"at_h": 9, "closures": [{"road": r} for r in ("h20", "h21", "v11", "v12")]}
    sc = sc.model_copy(update={"injects": [*sc.injects, Inject.model_validate(cut)]})
    return DrillBook(load_area(tiny_gpkg), sc, [Released(2, at_h)], FAST, folder=folder)


def test_a_closure_while_a_truck_is_out_changes_its_later_legs(tiny_gpkg):
    """Released while the truck drives to P1, the closure cuts its next leg (to S1): that
    stop is unreachable, the truck comes home. Released while it unloads at S1, it cannot
    get home: stuck, and its next trip is not driven."""
    plan = {
        "trips": [
            {
                "vehicle": "D1/light-1",
                "stops": [
                    {"point": "P1", "items": {"food": 5}},
                    {"point": "S1", "items": {"food": 5}},
                ],
            }
        ]
    }
    free = _cut_s1(tiny_gpkg, 99.0).play([Submitted(0.0, "p", decision_from_dict(plan))])[0]
    to_p1, at_p1, _ = free.visits[0]
    runs = _cut_s1(tiny_gpkg, (to_p1 + at_p1) / 2).play(
        [Submitted(0.0, "p", decision_from_dict(plan))]
    )
    assert runs[0].failed == {1: "unreachable"} and set(runs[0].visits) == {0}
    assert runs[0].back_h is not None

    two = {"trips": [_trip("D1/light-1", {"food": 5}), _trip("D1/light-1", {"food": 5})]}
    free = _cut_s1(tiny_gpkg, 99.0).play([Submitted(0.0, "p", decision_from_dict(two))])
    _, arrive, depart = free[0].visits[0]
    runs = _cut_s1(tiny_gpkg, (arrive + depart) / 2).play(
        [Submitted(0.0, "p", decision_from_dict(two))]
    )
    assert set(runs[0].visits) == {0} and runs[0].back_h is None  # delivered, then stuck
    assert runs[1].failed == {0: "vehicle_stuck"} and runs[1].leave_h is None


def test_a_lost_depot_takes_its_trucks_and_loads(tiny_gpkg):
    sc, folder = load_scenario(TINY / "exercise.yaml")
    lost = Inject.model_validate({"at_h": 9, "depots_lost": ["D2"]})
    sc = sc.model_copy(update={"injects": [*sc.injects, lost]})
    b = DrillBook(load_area(tiny_gpkg), sc, [Released(2, 1.0)], FAST, folder=folder)
    d = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 5})]})
    runs = b.play([Submitted(0.0, "p", d)])  # loaded only after the depot floods at 1 h
    assert runs[0].failed == {0: "depot_lost"} and runs[0].leave_h is None
    b.check(d, 0.5, [])  # before the loss the truck may still be ordered
    with pytest.raises(DataError) as e:
        b.check(d, 1.5, [])
    assert e.value.field == "trips[0].vehicle" and "lost" in e.value.problem


def test_a_closed_road_known_when_the_trip_leaves_is_respected(book):
    """A trip leaving after the closure (2.5 h) is timed on the new roads: never faster."""
    b, _ = book
    d = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 5}, "S1")]})
    early = b.play([Submitted(0.0, "p", d)])[0]
    late = b.play([Submitted(4.0, "p", d)])[0]
    assert late.leave_h >= 4.0
    assert (late.back_h - late.leave_h) >= (early.back_h - early.leave_h) - 1e-9


def test_the_score_charges_the_late_trip(book, tiny_gpkg):
    """All three loads for S1, but the last one ordered at hour 9.5: S1 is met after 10 h
    and that trip is the costliest decision."""
    sc, folder = load_scenario(TINY / "exercise.yaml")
    third = {"folding_bed": 80, "quilt": 80, "clothing_set": 80, "food": 40, "water": 240}
    third_med = {**third, "medical_kit": 27}
    subs = [
        Submitted(0.0, "p", decision_from_dict({"trips": [_trip("D1/light-1", third_med)]})),
        Submitted(0.0, "p", decision_from_dict({"trips": [_trip("D1/light-2", third_med)]})),
        Submitted(9.5, "p", decision_from_dict({"trips": [_trip("D1/light-1", third_med)]})),
    ]
    out = score_drill(load_area(tiny_gpkg), sc, RELEASED, subs, FAST, folder=folder)
    assert out["players"]["targets"][0]["share_met"] < 1.0
    assert out["players"]["targets"][1]["share_met"] == 1.0  # met by 12 h
    worst = out["costliest_decisions"][0]
    assert (worst["kind"], worst["decision"], worst["trip"]) == ("late_trip", 2, 0)
    dem = worst["demands"][0]
    assert dem["player_met_h"] > 10 and dem["optimiser_met_h"] <= 10
    assert worst["people_hours"] == pytest.approx(
        dem["people"] * (dem["player_met_h"] - dem["optimiser_met_h"]), abs=0.5
    )


stops = st.lists(
    st.fixed_dictionaries(
        {
            "point": st.sampled_from(["S1", "P1", "P4"]),
            "items": st.dictionaries(st.sampled_from(ITEMS), st.integers(1, 60), min_size=1),
        }
    ),
    min_size=1,
    max_size=2,
)
decisions = st.lists(
    st.tuples(
        st.floats(0, 12, allow_nan=False),
        st.booleans(),
        st.lists(st.fixed_dictionaries({"vehicle": st.sampled_from(VEHICLES), "stops": stops})),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions)
def test_played_trips_keep_the_rules_and_the_books_close(book, raw):
    """Whatever players order: no trip leaves before its decision or its load; a vehicle's
    trips never overlap; cancelled trips deliver nothing; every unit delivered is one
    ordered; every demand is served or listed unserved."""
    b, report = book
    subs = []
    for hour, replace, trips in sorted(raw, key=lambda x: x[0]):
        if not trips and not replace:
            continue
        subs.append(
            Submitted(
                hour, "p", Decision.model_validate({"trips": trips, "replace_pending": replace})
            )
        )
    runs = b.play(subs)
    last_back: dict[str, float] = {}
    for r in runs:
        if r.cancelled_h is not None:
            assert r.visits == {} and r.leave_h is None
            continue
        assert set(r.visits) | set(r.failed) <= set(range(len(r.stops)))
        if r.leave_h is None:
            assert set(r.failed) == set(range(len(r.stops)))
            continue
        assert r.leave_h >= r.submitted_h - 1e-9 and r.leave_h >= r.loaded_by_h - 1e-9
        if r.vehicle in last_back:
            assert r.leave_h >= last_back[r.vehicle] + DOCK_H - 1e-6
        for leave, arrive, depart in r.visits.values():
            assert r.leave_h <= leave <= arrive <= depart
        if r.back_h is not None:
            last_back[r.vehicle] = r.back_h
    # What happened before a decision does not change after it.
    for k in range(1, len(subs)):
        earlier = b.play(subs[:k])
        for old, new in zip(earlier, runs, strict=False):
            if old.leave_h is not None and old.leave_h <= subs[k].at_h:
                assert (new.leave_h, new.visits, new.back_h) == (
                    old.leave_h,
                    old.visits,
                    old.back_h,
                )
    doc = b.plan_of(runs, report).to_json()
    ordered = sum(q for r in runs for k in r.visits for q in r.stops[k].items.values())
    delivered = sum(q for rt in doc["routes"] for s in rt["stops"] for q in s["items"].values())
    assert delivered == ordered
    got: dict[tuple[str, bool, str], int] = {}
    for rt in doc["routes"]:
        for s in rt["stops"]:
            for part in s["parts"]:
                for item, q in part["items"].items():
                    key = (part["demand"]["point"], part["demand"]["overflow"], item)
                    got[key] = got.get(key, 0) + q
    short = {
        (u["demand"]["point"], u["demand"]["overflow"], u["item"]): u["quantity"]
        for u in doc["unserved"]
    }
    for d in report.problem.demands:
        for item, need in d.need.items():
            key = (d.place, d.overflow, item)
            assert got.get(key, 0) + short.get(key, 0) >= round(need)
            assert short.get(key, 0) == max(0, round(need) - got.get(key, 0))


def test_goods_that_could_not_be_delivered_go_back_into_stock(tiny_gpkg):
    """A load for S1 after its roads are cut comes back: the stock is free to order again;
    a load lost with its depot is gone."""
    b = _cut_s1(tiny_gpkg, 0.0)
    all_food = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 15})]})
    runs = b.play([Submitted(0.0, "p", all_food)])
    assert runs[0].failed == {0: "unreachable"}
    again = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 15}, point="P1")]})
    b.check(again, 1.0, [Submitted(0.0, "p", all_food)])  # the 15 came back

    sc, folder = load_scenario(TINY / "exercise.yaml")
    lost = Inject.model_validate({"at_h": 9, "depots_lost": ["D1"]})
    sc = sc.model_copy(update={"injects": [*sc.injects, lost]})
    b = DrillBook(load_area(tiny_gpkg), sc, [Released(2, 1.0)], FAST, folder=folder)
    d1 = decision_from_dict({"trips": [_trip("D1/light-1", {"food": 150})]})
    assert b.play([Submitted(0.0, "p", d1)])[0].failed == {0: "depot_lost"}
    assert b._stock_used(b.play([Submitted(0.0, "p", d1)])) == {("D1", "food"): 150}


def test_a_re_plan_cancels_only_its_own_players_trips(book):
    """Player B's re-plan leaves A's pending trips alone and returns the ones of B's it
    cancels; B cannot take the stock A's trips hold."""
    b, _ = book
    a_trips = decision_from_dict({"trips": [_trip("D1/light-1", {"food": 5})] * 2})
    b_trips = decision_from_dict({"trips": [_trip("D1/light-2", {"food": 5})] * 2})
    subs = [Submitted(0.0, "A", a_trips), Submitted(0.0, "B", b_trips)]
    replan = Decision(replace_pending=True)
    cancelled = b.check(replan, 0.0, subs, "B")
    assert [(r.decision, r.trip, r.vehicle) for r in cancelled] == [
        (1, 0, "D1/light-2"),
        (1, 1, "D1/light-2"),
    ]
    runs = b.play([*subs, Submitted(0.0, "B", replan)])
    assert [r.cancelled_h for r in runs] == [None, None, 0.0, 0.0]
    assert b.check(replan, 0.0, subs, "nobody") == []
    # D2 holds 15 food: A orders 10; B's re-plan frees none of it.
    a_d2 = decision_from_dict({"trips": [_trip("D2/light-1", {"food": 10})]})
    greedy = decision_from_dict(
        {"trips": [_trip("D2/light-1", {"food": 6})], "replace_pending": True}
    )
    with pytest.raises(DataError) as e:
        b.check(greedy, 0.0, [Submitted(0.0, "A", a_d2)], "B")
    assert e.value.field == "trips[0].stops" and "10 are ordered already" in e.value.problem


def test_a_refused_vehicle_says_why(tiny_gpkg):
    """Lost with its depot at hour h, not in this drill's fleet, or unknown: three reasons."""
    area = load_area(tiny_gpkg)
    # The area's own fleet: two light trucks at D1; the drill has half of them.
    fleet = (FleetEntry("F1", "light", "D1", 2),)
    area = dataclasses.replace(area, network=dataclasses.replace(area.network, fleet=fleet))
    sc, folder = load_scenario(TINY / "exercise.yaml")
    lost = Inject.model_validate({"at_h": 9, "depots_lost": ["D2"]})
    only_d2 = {
        "available_share": 0.5,
        "added": [{"depot": "D2", "vehicle_class": "light", "count": 1}],
    }
    sc = sc.model_copy(
        update={"injects": [*sc.injects, lost], "fleet": Fleet.model_validate(only_d2)}
    )
    b = DrillBook(area, sc, [Released(2, 1.5)], FAST, folder=folder)

    def why(vehicle, hour):
        with pytest.raises(DataError) as e:
            b.check(decision_from_dict({"trips": [_trip(vehicle, {"food": 1})]}), hour, [])
        assert e.value.field == "trips[0].vehicle"
        return e.value.problem, e.value.problem_zh

    b.check(decision_from_dict({"trips": [_trip("D1/light-1", {"food": 1})]}), 0.0, [])
    assert why("D1/light-2", 0.0) == (
        "vehicle 'D1/light-2' is not in this drill's fleet",
        "车辆 D1/light-2 不在本次演练的车队中",
    )
    assert why("D9/light-1", 0.0)[0] == "unknown vehicle 'D9/light-1'"
    b.check(decision_from_dict({"trips": [_trip("D2/light-1", {"food": 1})]}), 1.0, [])
    problem, zh = why("D2/light-1", 2.0)
    assert problem == "vehicle 'D2/light-1' was lost with depot 'D2' at hour 1.5"
    assert "D2" in zh and "1.5" in zh


def test_a_book_after_a_release_plays_as_a_fresh_one(tiny_gpkg):
    """A book built from the one before (reused situations and travel times) plays every
    trip exactly as a book built from scratch."""
    sc, folder = load_scenario(TINY / "exercise.yaml")
    area = load_area(tiny_gpkg)
    first = DrillBook(area, sc, RELEASED[:1], FAST, folder=folder)
    subs = [
        Submitted(0.0, "p", decision_from_dict({"trips": [_trip("D1/light-1", {"food": 5})]})),
        Submitted(2.0, "p", decision_from_dict({"trips": [_trip("D2/light-1", {"food": 5})]})),
        Submitted(3.5, "p", decision_from_dict({"trips": [_trip("D1/light-2", {"food": 5})]})),
    ]
    first.play(subs)
    after = first.after(RELEASED)
    fresh = DrillBook(area, sc, RELEASED, FAST, folder=folder)
    assert after.epochs[:2] == first.epochs[:2] and len(after.epochs) == 3
    key = lambda r: (r.leave_h, r.visits, r.back_h, r.failed)  # noqa: E731
    assert [key(r) for r in after.play(subs)] == [key(r) for r in fresh.play(subs)]


def test_the_blind_view_names_no_source():
    """With the drill's name the view drops names, notes, descriptions and sources, and
    renames floods (references follow)."""
    sc, _ = load_scenario(TINY / "exercise.yaml")
    flood = sc.floods[0].model_copy(update={"note": "generated, seed 1358561880"})
    sc = sc.model_copy(
        update={
            "floods": [flood],
            "description": "Generated (moderate, seed 1358561880)",
            "sources": ["scenarios/library/secret.yaml"],
            "affected": [
                *sc.affected,
                sc.affected[0].model_copy(update={"in_flood": flood.name, "note": "secret"}),
            ],
        }
    )
    view = player_view(sc, [Released(0, 2.5)], 2.5, name="drill-1")
    text = str(view)
    for secret in ("1358561880", "moderate", "secret", "east-low-ground", "tiny-exercise"):
        assert secret not in text
    assert view["scenario"]["name"] == "drill-1"
    assert view["scenario"]["floods"][0]["name"] == "flood-1"
    assert view["scenario"]["affected"][-1]["in_flood"] == "flood-1"
    assert view["released"][0]["label"] == "横0-1 closed"


def test_a_dispatch_plan_played_as_a_drill_meets_what_it_reported(tiny_gpkg):
    """The optimiser's plan, ordered as a drill's decisions (trip by trip in its loading
    order), is played by the same loading rule and scores the people met the plan reported,
    at every target: one meaning of "met", one loading rule."""
    from scenarios.dispatch import plan_dispatch

    sc, folder = load_scenario(TINY / "dispatch.yaml")
    area = load_area(tiny_gpkg)
    book = DrillBook(area, sc, [], FAST, folder=folder)
    plan = plan_dispatch(book.final, FAST, folder=folder).doc
    trips = sorted((s["load_start_h"], r["vehicle"], s) for r in plan["routes"] for s in r["stops"])
    assert trips, "set-up: the plan sends trucks"
    decision = Decision.model_validate(
        {
            "trips": [
                {"vehicle": v, "stops": [{"point": s["point"], "items": s["items"]}]}
                for _, v, s in trips
            ]
        }
    )
    runs = book.play([Submitted(0.0, "p", decision)])
    doc = book.plan_of(runs, run_check(book.final)).to_json()
    played = {t["hours"]: t["people_met"] for t in doc["kpis"]["targets"]}
    for t in plan["kpis"]["targets"]:
        assert played[t["hours"]] == t["people_met"]
    # Each trip left at the hour the plan said.
    left = sorted(round(r.leave_h, 3) for r in runs if r.leave_h is not None)
    assert left == sorted(round(s["leave_h"], 3) for _, _, s in trips)
