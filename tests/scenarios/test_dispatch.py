"""Dispatch on the tiny grid: plans keep the rules, stay under the bound, account for every
unit, re-plan safely."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.area import load_area
from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.dispatch import DispatchRequest, allocate, plan_dispatch
from scenarios.dispatch_doc import read_plan
from scenarios.dispatch_geo import route_lines
from scenarios.model import Affected, Closure, Fleet, load_scenario
from scenarios.plan import DemandRef, Plan, Route, Stop, Unserved
from scenarios.redispatch import load_closures, redispatch, split_plan
from solver.errors import DataError
from tests.conftest import TINY

FAST = DispatchRequest(time_limit_s=1.0, engine="greedy")


@pytest.fixture(scope="module")
def tiny(tiny_gpkg):
    return load_area(tiny_gpkg)


def situation(area, **changes):
    sc, _ = load_scenario(TINY / "dispatch.yaml")
    return apply_scenario(area, sc.model_copy(update=changes), folder=TINY)


def dem(record):
    """A plan.json demand as a key: (point, overflow)."""
    return record["point"], record["overflow"]


def delivered(doc):
    """Units per (demand, item) in routes and committed stops."""
    out: dict[tuple[tuple[str, bool], str], int] = {}
    stops = [s for r in doc["routes"] for s in r["stops"]] + doc["committed"]
    for s in stops:
        for part in s["parts"]:
            for item, q in part["items"].items():
                key = (dem(part["demand"]), item)
                out[key] = out.get(key, 0) + q
    return out


def unserved(doc):
    out: dict[tuple[tuple[str, bool], str], int] = {}
    for u in doc["unserved"]:
        key = (dem(u["demand"]), u["item"])
        out[key] = out.get(key, 0) + u["quantity"]
    return out


def first_demand(stop):
    return dem(stop["parts"][0]["demand"])


def test_plan_meets_needs_and_keeps_capacity(tiny):
    """Three light trucks serve the 200 people by 10 h; no trip carries more than 2 t; each
    trip loads, then leaves, then arrives, then unloads."""
    sit = situation(tiny)
    plan = plan_dispatch(sit, FAST, folder=TINY)
    doc = plan.doc
    assert doc["kpis"]["targets"][0]["share_met"] == 1.0
    payload = sit.network.vehicle_class("light").payload_kg
    cat = sit.network.catalogue
    for r in doc["routes"]:
        trips = [s["trip"] for s in r["stops"]]
        assert trips == sorted(set(trips))  # one stop per trip: goods merged per place
        for s in r["stops"]:
            kg = sum(cat.get(i).unit_weight_kg * q for i, q in s["items"].items())
            assert kg <= payload + 1e-6
            assert s["load_start_h"] <= s["loaded_by_h"] <= s["leave_h"] + 1e-3
            assert s["leave_h"] <= s["arrive_h"] <= s["depart_h"]


def test_the_plan_is_never_above_the_bound(tiny):
    """At every target the plan meets no more people than the relief check's bound."""
    for changes in ({}, {"targets_h": [4.0, 6.0]}, {"fleet": Fleet(available_share=0.5)}):
        sit = situation(tiny, **changes)
        doc = plan_dispatch(sit, FAST).doc
        bound = {t["hours"]: t["people_met"] for t in doc["kpis"]["relief_check_targets"]}
        for t in doc["kpis"]["targets"]:
            assert t["people_met"] <= bound[t["hours"]] + 1e-6
            assert t["gap_points"] >= -1e-6


def test_every_unit_is_delivered_or_listed(tiny):
    """Delivered + unserved = what the allocation ordered + what it could not place."""
    sit = situation(tiny)
    report = run_check(sit)
    orders, unplaced = allocate(sit, report, sit.scenario.targets_h)
    want: dict[tuple[tuple[str, bool], str], int] = {}
    for o in orders:
        for demand, items in o.parts:
            for item, q in items.items():
                key = ((demand.point, demand.overflow), item)
                want[key] = want.get(key, 0) + q
    for u in unplaced:
        key = ((u.demand.point, u.demand.overflow), u.item)
        want[key] = want.get(key, 0) + u.quantity
    doc = plan_dispatch(sit, FAST, report=report).doc
    got = delivered(doc)
    for k, v in unserved(doc).items():
        got[k] = got.get(k, 0) + v
    assert got == want


def test_impossible_deadline_lists_everything_with_its_reason(tiny):
    """A hard 0.5-h deadline cannot be met (depots open later): nothing goes, all listed."""
    doc = plan_dispatch(
        situation(tiny), DispatchRequest(time_limit_s=0.5, targets_h=(0.5,), hard_deadline=True)
    ).doc
    assert doc["routes"] == []
    assert doc["unserved"] and {u["reason"] for u in doc["unserved"]} <= {
        "hard_deadline",
        "no_vehicle_in_time",
    }


def test_no_fleet_means_no_vehicle(tiny):
    """Without vehicles every unit is unserved with reason no_vehicle, none dropped."""
    sit = situation(tiny, fleet=Fleet(available_share=0.0))
    doc = plan_dispatch(sit, FAST).doc
    assert doc["routes"] == [] and doc["kpis"]["targets"][0]["people_met"] == 0
    assert {u["reason"] for u in doc["unserved"]} <= {"no_vehicle", "no_stock"}
    assert sum(unserved(doc).values()) == doc["kpis"]["unserved_units"] > 0


def test_same_seed_same_plan(tiny):
    """The default search is seeded: the same seed gives the same plan."""
    sit = situation(tiny)
    req = DispatchRequest(time_limit_s=2.0, seed=4)
    a = plan_dispatch(sit, req).doc
    b = plan_dispatch(sit, req).doc
    assert a["routes"] == b["routes"]


def test_bad_requests_name_the_field():
    for kwargs, field in (
        ({"time_limit_s": 0}, "time_limit"),
        ({"trips": 0}, "trips"),
        ({"load_share": 0.0}, "load_share"),
        ({"engine": "gurobi"}, "engine"),
        ({"targets_h": (-1.0,)}, "target"),
        ({"shift_h": 0.0}, "shift_h"),
    ):
        with pytest.raises(DataError) as e:
            DispatchRequest(**kwargs)
        assert e.value.field == field


def test_route_lines_follow_roads_and_fill_distances(tiny):
    sit = situation(tiny)
    legs, made = route_lines(sit, plan_dispatch(sit, FAST).plan)
    doc = made.to_json()
    assert set(legs["vehicle"]) == {r["vehicle"] for r in doc["routes"]}
    assert (legs["distance_km"] > 0).all()
    # Road legs are at least as long as the straight line between their ends.
    metric = legs.to_crs(legs.estimate_utm_crs())
    for (_, row), geom in zip(legs.iterrows(), metric.geometry, strict=True):
        ends = geom.coords[0], geom.coords[-1]
        straight = ((ends[0][0] - ends[1][0]) ** 2 + (ends[0][1] - ends[1][1]) ** 2) ** 0.5
        assert row["distance_km"] * 1000 >= straight * 0.5  # snapping may shorten the ends
    assert doc["kpis"]["distance_km"] == pytest.approx(
        sum(r["distance_km"] for r in doc["routes"]), abs=0.2
    )
    assert set(legs["vehicle"]) == {r["vehicle"] for r in doc["routes"]}


# ------------------------------------------------------------------------------------------
# Plans on disk and re-dispatch
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_file(tiny, tmp_path_factory):
    doc = plan_dispatch(situation(tiny), FAST, folder=TINY).doc
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_edited_or_foreign_plans_are_refused(plan_file, tmp_path):
    doc = json.loads(plan_file.read_text(encoding="utf-8"))
    edited = copy.deepcopy(doc)
    edited["scenario"]["definition"]["affected"][0]["people"] = 5000
    (tmp_path / "e.json").write_text(json.dumps(edited), encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_plan(tmp_path / "e.json")
    assert e.value.field == "scenario.fingerprint"
    (tmp_path / "k.json").write_text(json.dumps({**doc, "kind": "report"}), encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_plan(tmp_path / "k.json")
    assert e.value.field == "kind"
    other, _ = load_scenario(TINY / "scenario.yaml")
    with pytest.raises(DataError) as e:
        redispatch(read_plan(plan_file), 1.0, [], FAST, area=None, expect=other)
    assert e.value.field == "plan"


def test_redispatch_keeps_what_is_done(tiny, plan_file):
    """Trips that left before the cut stay exactly as planned; the rest is re-planned no
    earlier than the cut, and every unit is still delivered or listed."""
    old = read_plan(plan_file)
    doc = old.to_json()
    legs = sorted(s["leave_h"] for r in doc["routes"] for s in r["stops"])
    at = (legs[0] + legs[-1]) / 2 if legs[0] < legs[-1] else legs[0]
    split = split_plan(old, at)
    new = redispatch(old, at, [], FAST, area=tiny).doc
    kept = {(s["vehicle"], first_demand(s), s["arrive_h"]) for s in new["committed"]}
    before = {
        (r["vehicle"], first_demand(s), s["arrive_h"])
        for r in doc["routes"]
        for s in r["stops"]
        if s["leave_h"] <= at
    }
    committed = [s.model_dump() for s in split.committed]
    assert kept == before == {(s["vehicle"], first_demand(s), s["arrive_h"]) for s in committed}
    for r in new["routes"]:
        assert all(s["leave_h"] >= at - 1e-3 for s in r["stops"])
        assert all(s["load_start_h"] >= at - 1e-3 or s["bay"] is None for s in r["stops"])
    total_old = {k: v for k, v in delivered(doc).items()}
    for k, v in unserved(doc).items():
        total_old[k] = total_old.get(k, 0) + v
    total_new = delivered(new)
    for k, v in unserved(new).items():
        total_new[k] = total_new.get(k, 0) + v
    assert total_new == total_old
    assert new["redispatch"]["from_fingerprint"] == doc["scenario"]["fingerprint"]
    assert new["scenario"]["fingerprint"] == doc["scenario"]["fingerprint"]  # no closures


def test_redispatch_after_a_closure_is_never_faster(tiny, plan_file):
    """Closing the roads next to the shelter at hour 0 can only delay deliveries."""
    old = read_plan(plan_file)
    doc = old.to_json()
    shelter = doc["routes"][0]["stops"][0]["point"]
    area = tiny
    xy = next((p.lon, p.lat) for p in area.network.points if p.id == shelter)
    base = redispatch(old, 0.0, [], FAST, area=area).doc
    cut = redispatch(old, 0.0, [Closure(at=xy)], FAST, area=area).doc
    first = {t["hours"]: t["people_met"] for t in base["kpis"]["targets"]}
    after = {t["hours"]: t["people_met"] for t in cut["kpis"]["targets"]}
    assert all(after[h] <= first[h] for h in first)
    assert cut["scenario"]["fingerprint"] != doc["scenario"]["fingerprint"]
    assert cut["redispatch"]["closures"][0]["at"] == list(xy)


def test_redispatch_rejects_bad_hours(plan_file, tiny):
    with pytest.raises(DataError) as e:
        redispatch(read_plan(plan_file), -2.0, [], FAST, area=tiny)
    assert e.value.field == "at"


def test_closure_files(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "- name: 横0-1\n- at: [115.61, 37.7]\n  note: bridge\n", encoding="utf-8"
    )
    got = load_closures(tmp_path / "c.yaml")
    assert [c.name for c in got] == ["横0-1", None] and got[1].at == (115.61, 37.7)
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "x"},
                "geometry": {"type": "LineString", "coordinates": [[115.6, 37.7], [115.61, 37.71]]},
            },
        ],
    }
    (tmp_path / "c.geojson").write_text(json.dumps(gj), encoding="utf-8")
    assert load_closures(tmp_path / "c.geojson")[0].line == [(115.6, 37.7), (115.61, 37.71)]
    (tmp_path / "bad.yaml").write_text("- name: a\n  at: [1, 2]\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_closures(tmp_path / "bad.yaml")
    assert e.value.field.startswith("closures[0]")
    gj["features"][0]["geometry"] = {"type": "Polygon", "coordinates": []}
    (tmp_path / "poly.geojson").write_text(json.dumps(gj), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_closures(tmp_path / "poly.geojson")
    assert e.value.field == "features[0].geometry"


def _stop(trip, start, leave, arrive, point="S1", items=None, back=None):
    items = items or {"food": 10}
    return Stop(
        point=point,
        place=point,
        parts=({"demand": {"point": point}, "items": items},),
        depot="D1",
        trip=trip,
        load_start_h=start,
        loaded_by_h=leave,
        leave_h=leave,
        arrive_h=arrive,
        depart_h=arrive + 0.5,
        back_h=arrive + 1.5 if back is None else back,
        items=items,
    )


def _route(vehicle, start_h, *stops):
    return Route(
        vehicle=vehicle, vehicle_class="light", depot="D1", start="D1", start_h=start_h, stops=stops
    )


def test_split_plan_gives_each_trip_one_fate():
    """At 5 h: a trip that left is committed and its truck drives back from its stop; a
    truck back home before the cut is free; a truck loading keeps its goods on board (its
    bay busy until loaded); a trip not yet loading and goods not delivered in time return
    to the pool."""
    late = Unserved(
        point="S2",
        demand={"point": "S2"},
        item="water",
        quantity=7,
        reason="no_vehicle_in_time",
        depot="D1",
    )
    plan = Plan.model_construct(
        committed=(),
        unserved=(late,),
        routes=(
            _route("A", 1.0, _stop(1, 1.0, 2.0, 3.0), _stop(2, 3.0, 4.0, 5.5, "S2")),
            _route("C", 1.0, _stop(1, 1.0, 2.0, 2.5, back=3.0)),
            _route("L", 4.5, _stop(1, 4.5, 6.0, 7.0, "S2", {"water": 3})),
            _route("D", 6.0, _stop(1, 6.0, 7.0, 8.0, "S2", {"water": 5})),
        ),
    )
    split = split_plan(plan, 5.0)
    assert {(s.vehicle, s.trip) for s in split.committed} == {("A", 1), ("A", 2), ("C", 1)}
    assert split.out == {"A": ("D1", "S2", 6.0)}  # unloading at S2 until 6 h, then back
    assert split.home == {"C": ("D1", 3.0)}
    assert [v for v, _ in split.loaded] == ["L"] and split.bays_busy == {"D1": [6.0]}
    assert split.pool == {("D1", DemandRef(point="S2")): {"water": 12}}


def test_whole_units_keep_totals_and_stock(tiny):
    """Fractional shipments become whole units: the rounded total (never above the need),
    the odd unit to the largest fraction, never more than a depot holds."""
    from types import SimpleNamespace as Ns

    from scenarios.dispatch import whole_units

    sit = situation(tiny)
    d1_food = dict(next(d for d in sit.network.depots if d.id == "D1").stock)["food"]

    def left():
        return {d.id: {k: int(v) for k, v in d.stock.items()} for d in sit.network.depots}

    ships = [
        Ns(supply="D1", demand="S1", item="food", quantity=33.4),
        Ns(supply="D2", demand="S1", item="food", quantity=10.3),
        Ns(supply="D1", demand="S1", item="water", quantity=33.3),
        Ns(supply="D2", demand="S1", item="water", quantity=66.6),
    ]
    got = whole_units(sit, ships, {"S1": {"food": 100.0, "water": 99.0}}, left())
    assert (got[("D1", "S1")]["food"], got[("D2", "S1")]["food"]) == (34, 10)  # 43.7 -> 44
    assert got[("D1", "S1")]["water"] + got[("D2", "S1")]["water"] == 99  # 99.9, need 99
    big = [Ns(supply="D1", demand="S1", item="food", quantity=d1_food + 0.9)]
    got = whole_units(sit, big, {"S1": {"food": 1e6}}, left())
    assert got[("D1", "S1")]["food"] == d1_food


def test_orders_and_unplaced_add_up_to_the_needs(tiny):
    """Whole-unit orders plus what could not be placed equal each demand's need exactly."""
    sit = situation(tiny)
    report = run_check(sit)
    orders, unplaced = allocate(sit, report, sit.scenario.targets_h)
    total: dict[tuple[DemandRef, str], int] = {}
    for o in orders:
        for demand, items in o.parts:
            for item, q in items.items():
                total[demand, item] = total.get((demand, item), 0) + q
    for u in unplaced:
        total[u.demand, u.item] = total.get((u.demand, u.item), 0) + u.quantity
    need = {
        (DemandRef.of(d), i): q for d in report.problem.demands for i, q in d.need.items() if q > 0
    }
    assert total == need


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["tent", "food", "water", "quilt"]), st.integers(1, 500), min_size=1
    ),
    st.integers(1, 12),
)
def test_split_items_is_even(items, parts):
    """Chunks keep every unit, each item splits within one unit, and chunk sizes too."""
    from scenarios.dispatch_build import split_items

    chunks = split_items(items, parts)
    for item, q in items.items():
        per = [c.get(item, 0) for c in chunks]
        assert sum(per) == q
        if len(chunks) == parts:
            assert max(per) - min(per) <= 1
    sizes = [sum(c.values()) for c in chunks]
    assert max(sizes) - min(sizes) <= 1


def test_load_share_cuts_loads(tiny):
    """With load_share 0.5 no stop carries more than half a light truck, and all still go."""
    sit = situation(tiny)
    cat = sit.network.catalogue
    half = sit.network.vehicle_class("light").payload_kg / 2
    doc = plan_dispatch(sit, DispatchRequest(time_limit_s=1.0, engine="greedy", load_share=0.5)).doc
    stops = [s for r in doc["routes"] for s in r["stops"]]
    assert stops and all(
        sum(cat.get(i).unit_weight_kg * q for i, q in s["items"].items()) <= half + 1e-6
        for s in stops
    )
    assert doc["kpis"]["unserved_units"] == 0


def test_stops_name_the_roads_driven(tiny):
    """Each delivery leg names the grid roads it follows (the sheets' route description)."""
    sit = situation(tiny)
    legs, made = route_lines(sit, plan_dispatch(sit, FAST).plan)
    doc = made.to_json()
    grid = set(tiny.roads.edges["name"])
    stops = [s for r in doc["routes"] for s in r["stops"]]
    assert stops and all(s["roads"] and set(s["roads"]) <= grid for s in stops)
    assert legs["on_roads"].all()


def test_receiving_hours_are_kept(tiny):
    """A shelter receiving only 5-6 h gets every load in that hour, or it is listed with
    the reason; a window closing before any truck can arrive leaves all listed."""
    sit = situation(tiny)
    req = DispatchRequest(time_limit_s=1.0, engine="greedy", receiving={"S1": (5.0, 6.0)})
    doc = plan_dispatch(sit, req).doc
    stops = [s for r in doc["routes"] for s in r["stops"] if s["point"] == "S1"]
    assert stops and all(5.0 - 1e-3 <= s["arrive_h"] <= 6.0 + 1e-3 for s in stops)
    closed = replace(req, receiving={"S1": (0.0, 0.1)})
    doc = plan_dispatch(sit, closed).doc
    assert doc["routes"] == []
    assert {u["reason"] for u in doc["unserved"]} == {"receiving_window"}
    with pytest.raises(DataError) as e:
        plan_dispatch(sit, replace(req, receiving={"nowhere": (1.0, 2.0)}))
    assert e.value.field == "receiving.nowhere"
    with pytest.raises(DataError) as e:
        DispatchRequest(receiving={"S1": (6.0, 5.0)})
    assert e.value.field == "receiving.S1"


def test_redispatch_serves_new_people_from_stock_left(tiny, plan_file):
    """40 more people reported at P4 at hour 1: their shelter's extra needs are planned from
    the stock the old plan left (or listed no_stock), and the old plan's goods all stay."""
    old = read_plan(plan_file)
    doc = old.to_json()
    new = redispatch(old, 1.0, [], FAST, area=tiny, added=[Affected(point="P4", people=40)]).doc
    old_units = sum(delivered(doc).values()) + sum(unserved(doc).values())
    new_units = sum(delivered(new).values()) + sum(unserved(new).values())
    assert new["redispatch"]["new_demand_units"] > 0
    assert new_units == old_units + new["redispatch"]["new_demand_units"]
    people = {t["hours"]: t["people_total"] for t in new["kpis"]["targets"]}
    assert people[10.0] == 240
    # Never more of an item shipped from a depot than it holds.
    stock = {d.id: dict(d.stock) for d in tiny.network.depots}
    used: dict[tuple[str, str], int] = {}
    for s in [s for r in new["routes"] for s in r["stops"]] + new["committed"]:
        for item, q in s["items"].items():
            used[s["depot"], item] = used.get((s["depot"], item), 0) + q
    assert all(q <= stock[dep].get(item, 0) for (dep, item), q in used.items())


def test_loading_waits_for_opening_hours(tiny):
    """D1 open only 08:00-09:00 (report at 08:00, trucks ready ~2 h later): its truckloads are
    loaded the next morning, hour 24 on (a long one may go on the morning after)."""
    import dataclasses

    depots = tuple(
        dataclasses.replace(d, open_from_h=8.0, open_to_h=9.0) if d.id == "D1" else d
        for d in tiny.network.depots
    )
    area = dataclasses.replace(tiny, network=dataclasses.replace(tiny.network, depots=depots))
    sc, _ = load_scenario(TINY / "dispatch.yaml")
    doc = plan_dispatch(apply_scenario(area, sc, folder=TINY), FAST).doc
    d1 = [s for r in doc["routes"] for s in r["stops"] if s["depot"] == "D1"]
    assert d1 and all(24.0 - 1e-6 <= s["load_start_h"] <= 25.0 for s in d1)
    # Loading pauses while closed: a load ends inside an opening hour.
    assert all((s["loaded_by_h"] % 24.0) <= 1.0 + 1e-6 for s in d1)


def _boat_area(tiny):
    """The tiny area with a boat launch point just west of the flooded village P3."""
    import dataclasses

    from solver.fleet import Mode
    from solver.network import StagingPoint

    staging = (StagingPoint("B1", "码头", Mode.BOAT, 115.62, 37.70),)
    net = dataclasses.replace(tiny.network, staging=staging)
    return dataclasses.replace(tiny, network=net)


def test_cut_off_village_is_served_by_boat(tiny):
    """P3 stands in 0.9 m of water (light trucks ford 0.3 m): its goods go by truck to the
    boat launch, then by boat; the boats' second job waits for the first to come back; the
    bound counts the boat leg too, and the plan stays under it."""
    from scenarios.model import Evacuation, VehiclesAdded

    area = _boat_area(tiny)
    sc, _ = load_scenario(TINY / "dispatch.yaml")
    fleet = sc.fleet.model_copy(
        update={
            "added": [*sc.fleet.added, VehiclesAdded(depot="D1", vehicle_class="boat", count=1)]
        }
    )
    sc = sc.model_copy(
        update={
            "affected": [Affected(point="P3", people=60)],
            "evacuation": Evacuation(mode="in_place"),
            "fleet": fleet,
        }
    )
    sit = apply_scenario(area, sc, folder=TINY)
    doc = plan_dispatch(sit, FAST).doc
    via = [s for r in doc["routes"] for s in r["stops"] if s.get("via")]
    assert via and all(s["point"] == "B1" and s["transfer"]["to"] == "P3" for s in via)
    bound = {t["hours"]: t["people_met"] for t in doc["kpis"]["relief_check_targets"]}
    assert all(t["people_met"] <= bound[t["hours"]] + 1e-6 for t in doc["kpis"]["targets"])
    assert all(s["transfer"]["arrive_h"] > s["depart_h"] for s in via)
    assert doc["kpis"]["transfers"] == len(doc["transfers"]) == len(via)
    # One boat: transfers do not overlap (each starts after the previous one is back).
    spans = sorted((t["start_h"], t["arrive_h"]) for t in doc["transfers"])
    for (_, a0), (s1, _) in pairwise(spans):
        assert s1 >= a0
    # A re-plan while the first transfer is under way keeps that boat busy.
    from scenarios.dispatch_shuttle import Shuttle, plan_transfers

    crafts = Shuttle.fleet(sit)
    stop = Stop.model_validate(via[0])
    assert stop.transfer is not None
    busy = [
        stop.model_copy(
            update={"transfer": stop.transfer.model_copy(update={"start_h": 0.0, "arrive_h": 50.0})}
        )
    ]
    route = Route(
        vehicle="x", vehicle_class="light", depot="D1", start="D1", start_h=0.0, stops=(stop,)
    )
    _, again = plan_transfers(sit, [route], crafts, busy=busy)
    assert again[0].start_h >= 100.0


def test_crews_keep_their_shift_in_a_replan(tiny, plan_file):
    """A re-plan late in the day does not hand a crew a fresh shift: every vehicle that
    drove before is back by its original shift end, or its goods are listed."""
    old = read_plan(plan_file)
    doc = old.to_json()
    ends = {r["vehicle"]: r["shift_end_h"] for r in doc["routes"]}
    for at in (min(ends.values()) - 3, max(ends.values()) - 0.5):
        added = [Affected(point="P4", people=40)]
        new = redispatch(old, at, [], FAST, area=tiny, added=added).doc
        assert new["redispatch"]["new_demand_units"] > 0
        again = [r for r in new["routes"] if r["vehicle"] in ends]
        for r in again:
            assert r["shift_end_h"] == pytest.approx(ends[r["vehicle"]])
            assert r["end_h"] <= ends[r["vehicle"]] + 1e-3
        if at < min(ends.values()) - 1:
            assert again  # with 3 h left the crews still drive
        else:
            assert not again and new["unserved"]  # too late for a trip: goods listed


def test_report_with_a_plan_adds_up(tiny):
    """report.json with a plan: per target, the counties' and the places' planned people add
    up to the plan's figure (to rounding), which is never above the bound."""
    sit = situation(tiny, fleet=Fleet(available_share=0.5))
    report = run_check(sit)
    made = plan_dispatch(sit, FAST, report=report)
    doc = made.doc
    rep = report.to_json(made.plan)
    for k, target in enumerate(rep["targets"]):
        planned = doc["kpis"]["targets"][k]
        assert target["plan_people_met"] == planned["people_met"] <= target["people_met"]
        counties = sum(c["plan_people_met"] for c in target["by_county"])
        assert abs(counties - planned["people_met"]) <= len(target["by_county"])
        places = sum(
            b["plan_people_met"]
            for p in rep["points"]
            for b in p["by_target"]
            if b["hours"] == target["hours"]
        )
        assert abs(places - planned["people_met"]) <= len(rep["points"])
        assert target["gap_points"] == round(100 * (target["share_met"] - planned["share_met"]), 1)
