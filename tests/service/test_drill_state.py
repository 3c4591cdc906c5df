"""``GET /drills/{id}/state``: what a player needs to fill a decision, on the tiny area.

The fleet (depot, load limits, lost or not, next free), each depot's stock left, what each
place still needs, and the trips ordered, as known at the drill hour: the figures are the
ones the next decision is held to, and nothing from the unreleased script shows.
"""

from __future__ import annotations

import pytest

from tests.service.test_drills import THIRD, drill_service, exercise_scenario, trip

__all__ = ["drill_service"]  # the fixture, used by name


def _started(client, h, scenario=None):
    body = {"area": "tiny", "scenario": scenario or exercise_scenario()}
    r = client.post("/drills", json=body, headers=h["controller"])
    assert r.status_code == 201, r.text
    url = f"/drills/{r.json()['id']}"
    assert client.post(f"{url}/start", headers=h["controller"]).status_code == 200
    return url


def _state(client, url, head):
    r = client.get(f"{url}/state", headers=head)
    assert r.status_code == 200, r.text
    return r.json()


def _by(rows, key):
    return {r[key]: r for r in rows}


def test_the_state_holds_what_the_next_decision_is_held_to(drill_service):
    """Stock left is exactly what may still be ordered; a vehicle's next free hour is its
    trip's return; a place's ``still`` is its need less what is ordered to it."""
    client, h = drill_service
    url = _started(client, h)
    before = _state(client, url, h["player"])
    assert before["hour"] == 0 and before["status"] == "running" and before["trips"] == []
    fleet = _by(before["vehicles"], "id")
    assert {"D1/light-1", "D1/light-2", "D2/light-1"} <= set(fleet)
    light = fleet["D1/light-1"]
    assert light["depot"] == "D1" and light["status"] == "free" and light["free_h"] is None
    assert light["payload_kg"] > 0 and light["volume_m3"] > 0 and light["class_zh"]
    depots = _by(before["depots"], "id")
    s1 = _by(before["needs"], "place")["S1"]
    # Everyone affected (P1's 120 and P2's 80) waits at shelter S1.
    assert [n["place"] for n in before["needs"]] == ["S1"]
    assert s1["people"] == 200 and s1["ordered"] == {} and s1["still"] == s1["need"]
    assert s1["need"]["food"] > 0
    food_d2 = depots["D2"]["stock_left"]["food"]

    # One load for S1 from D1, some food from D2.
    r = client.post(
        f"{url}/decisions",
        json={"trips": [trip("D1/light-1"), trip("D2/light-1", {"food": food_d2 - 3})]},
        headers=h["player"],
    )
    assert r.status_code == 201, r.text
    after = _state(client, url, h["player"])
    runs = after["trips"]
    assert [(t["decision"], t["trip"], t["vehicle"], t["player"]) for t in runs] == [
        (0, 0, "D1/light-1", "player"),
        (0, 1, "D2/light-1", "player"),
    ]
    first = runs[0]
    assert first["leave_h"] is not None and first["back_h"] > first["leave_h"]
    assert first["status"] == ("waiting" if first["leave_h"] > 0 else "en_route")
    assert first["stops"][0]["arrive_h"] > first["leave_h"] and first["stops"][0]["failed"] is None
    fleet = _by(after["vehicles"], "id")
    assert fleet["D1/light-1"]["status"] == "busy" and fleet["D1/light-1"]["trips"] == 1
    assert fleet["D1/light-1"]["free_h"] == first["back_h"]
    assert fleet["D1/light-2"]["status"] == "free"
    left = _by(after["depots"], "id")
    for item, q in THIRD.items():
        assert left["D1"]["stock_left"].get(item, 0) == depots["D1"]["stock_left"][item] - q
    assert left["D2"]["stock_left"]["food"] == 3
    s1 = _by(after["needs"], "place")["S1"]
    sent = {i: q + (food_d2 - 3 if i == "food" else 0) for i, q in THIRD.items()}
    assert s1["ordered"] == sent
    assert s1["still"] == {
        i: q - sent.get(i, 0) for i, q in s1["need"].items() if q > sent.get(i, 0)
    }
    assert s1["delivered"] == {}  # nothing has arrived at hour 0

    # The stock left is the limit: one more is refused, exactly that much is taken.
    more = {"trips": [trip("D2/light-1", {"food": 4})]}
    r = client.post(f"{url}/decisions", json=more, headers=h["player"])
    assert r.status_code == 422 and r.json()["field"] == "trips[0].stops"
    exact = {"trips": [trip("D2/light-1", {"food": 3})]}
    assert client.post(f"{url}/decisions", json=exact, headers=h["player"]).status_code == 201
    assert "food" not in _by(_state(client, url, h["player"])["depots"], "id")["D2"]["stock_left"]

    # Later in the day the first load has arrived and the truck is back.
    client.post(f"{url}/advance", json={"to_h": 20}, headers=h["controller"])
    late = _state(client, url, h["viewer"])
    first = late["trips"][0]
    assert late["hour"] == 20 and first["status"] == "back"
    assert _by(late["vehicles"], "id")["D1/light-1"]["status"] == "free"
    assert _by(late["needs"], "place")["S1"]["delivered"] == {**sent, "food": sent["food"] + 3}


def test_people_reported_by_an_inject_show_only_once_it_is_released(drill_service):
    """40 more people at P4 (the script's second inject): not in the needs before it is
    released, where they wait (and what they need) once it is."""
    client, h = drill_service
    url = _started(client, h)
    before = _by(_state(client, url, h["player"])["needs"], "place")
    assert (
        client.post(f"{url}/release", json={"index": 1}, headers=h["controller"]).status_code == 200
    )
    after = _by(_state(client, url, h["player"])["needs"], "place")
    assert (
        sum(p["people"] for p in after.values()) == sum(p["people"] for p in before.values()) + 40
    )
    grown = [k for k, p in after.items() if p["people"] > before.get(k, {"people": 0})["people"]]
    assert len(grown) == 1
    place = after[grown[0]]
    assert place["still"]["water"] > before.get(grown[0], {"still": {"water": 0}})["still"]["water"]


def test_a_depot_lost_takes_its_trucks_and_stock(drill_service):
    """Once the inject losing D2 is out, its truck is lost at that hour, its stock is gone,
    and an order for the truck is refused on the vehicle field."""
    client, h = drill_service
    sc = exercise_scenario()
    sc["injects"] = [{"at_h": 1.0, "label": "D2 flooded", "depots_lost": ["D2"]}]
    url = _started(client, h, sc)
    fleet = _by(_state(client, url, h["player"])["vehicles"], "id")
    assert fleet["D2/light-1"]["status"] == "free" and fleet["D2/light-1"]["lost_h"] is None
    client.post(f"{url}/release", json={}, headers=h["controller"])
    seen = _state(client, url, h["player"])
    truck = _by(seen["vehicles"], "id")["D2/light-1"]
    assert truck["status"] == "lost" and truck["lost_h"] == 1.0 and truck["free_h"] is None
    d2 = _by(seen["depots"], "id")["D2"]
    assert d2["lost"] and d2["lost_h"] == 1.0 and d2["stock_left"] == {}
    r = client.post(
        f"{url}/decisions", json={"trips": [trip("D2/light-1", {"food": 1})]}, headers=h["player"]
    )
    assert r.status_code == 422 and r.json()["field"] == "trips[0].vehicle"


def test_a_re_plan_frees_the_truck_and_the_stock(drill_service):
    client, h = drill_service
    url = _started(client, h)
    start = _by(_state(client, url, h["player"])["depots"], "id")["D1"]["stock_left"]
    client.post(f"{url}/decisions", json={"trips": [trip("D1/light-1")]}, headers=h["player"])
    r = client.post(f"{url}/decisions", json={"replace_pending": True}, headers=h["player"])
    assert r.json()["cancelled"], "the trip had not left at hour 0"
    seen = _state(client, url, h["player"])
    assert [t["status"] for t in seen["trips"]] == ["cancelled"]
    assert seen["trips"][0]["cancelled_h"] == 0
    truck = _by(seen["vehicles"], "id")["D1/light-1"]
    assert truck["status"] == "free" and truck["trips"] == 0
    assert _by(seen["depots"], "id")["D1"]["stock_left"] == start
    assert _by(seen["needs"], "place")["S1"]["ordered"] == {}


@pytest.mark.parametrize(
    ("who", "drill", "status", "field"),
    [(None, True, 401, "Authorization"), ("player", False, 404, "drill_id")],
)
def test_the_state_needs_a_token_and_a_known_drill(drill_service, who, drill, status, field):
    client, h = drill_service
    url = _started(client, h) if drill else "/drills/no-such-drill"
    r = client.get(f"{url}/state", headers=h[who] if who else {})
    assert r.status_code == status and r.json()["field"] == field
    assert r.json()["problem_zh"]
