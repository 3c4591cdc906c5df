"""Double-blind drills through the service, end to end on the tiny area: a controller
prepares and runs a drill, releases injects, players see only what is released and submit
decisions, the drill is scored against the optimiser, and the log replays it all."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.auth import create_token
from service.api.db import open_db
from tests.conftest import TINY
from tests.service.test_api import settings, wait

#: A third of what shelter S1's 240 people need (one light truck's load).
THIRD = {
    "folding_bed": 80,
    "quilt": 80,
    "clothing_set": 80,
    "food": 40,
    "water": 240,
    "medical_kit": 27,
}


@pytest.fixture
def drill_service(tmp_path, tiny_gpkg, db_url):
    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=5.0)
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        secrets = {
            "controller": create_token(s, "controller", "exercise_designer"),
            "player": create_token(s, "player", "duty_officer"),
            "viewer": create_token(s, "viewer", "viewer"),
        }
    engine.dispose()
    heads = {k: {"Authorization": f"Bearer {v}"} for k, v in secrets.items()}
    with TestClient(create_app(cfg)) as client:
        yield client, heads


def exercise_scenario():
    data = yaml.safe_load((TINY / "exercise.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


def trip(vehicle, items=THIRD, point="S1"):
    return {"vehicle": vehicle, "stops": [{"point": point, "items": items}]}


def test_a_drill_end_to_end(drill_service):
    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario(), "clock": {"mode": "manual"}}
    assert client.post("/drills", json=body, headers=h["player"]).status_code == 403
    r = client.post("/drills", json=body, headers=h["controller"])
    assert r.status_code == 201, r.text
    drill = r.json()
    url = f"/drills/{drill['id']}"
    assert drill["status"] == "ready" and drill["pending"] == 2 and len(drill["script"]) == 2
    # Players see the scenario without its script, and nothing released.
    seen = client.get(url, headers=h["player"]).json()
    assert seen["script"] is None and seen["pending"] is None and seen["released"] == []
    assert seen["scenario"]["injects"] == []
    # Nothing happens before the start.
    r = client.post(f"{url}/decisions", json={"trips": [trip("D1/light-1")]}, headers=h["player"])
    assert r.status_code == 409 and r.json()["field"] == "status"
    assert client.post(f"{url}/start", headers=h["controller"]).json()["status"] == "running"

    # Hour 0: the players send two of the three loads S1 needs.
    r = client.post(
        f"{url}/decisions",
        json={"trips": [trip("D1/light-1"), trip("D1/light-2")], "note": "first wave"},
        headers=h["player"],
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"index": 0, "hour": 0.0, "trips": 2, "cancelled": []}
    # Bad decisions are refused naming the field; none is recorded.
    bad = [
        ({"trips": [trip("D7/truck-1")]}, "trips[0].vehicle"),
        ({"trips": [trip("D1/light-1", point="nowhere")]}, "trips[0].stops[0].point"),
        ({"trips": [trip("D1/light-1", {"gold": 1})]}, "trips[0].stops[0].items.gold"),
        ({"trips": [trip("D1/light-1", {"water": 1900})]}, "trips[0].stops"),  # > 2 t
        ({"trips": [trip("D2/light-1", {"food": 16})]}, "trips[0].stops"),  # D2 holds 15
        ({"trips": []}, "trips"),
    ]
    for decision, field in bad:
        r = client.post(f"{url}/decisions", json=decision, headers=h["player"])
        assert r.status_code == 422, (decision, r.text)
        assert r.json()["field"] == field, (decision, r.json())
    assert client.post(f"{url}/release", json={}, headers=h["player"]).status_code == 403

    # The controller releases the first inject: the clock moves to its hour.
    r = client.post(f"{url}/release", json={}, headers=h["controller"])
    assert r.status_code == 200 and r.json()["hour"] == 2.5 and r.json()["pending"] == 1
    seen = client.get(url, headers=h["player"]).json()
    assert [i["label"] for i in seen["released"]] == ["横0-1 closed"] and seen["hour"] == 2.5
    r = client.post(f"{url}/release", json={"index": 0}, headers=h["controller"])
    assert r.status_code == 409 and r.json()["field"] == "index"
    r = client.post(f"{url}/release", json={"at_h": 1.0}, headers=h["controller"])
    assert r.status_code == 422 and r.json()["field"] == "at_h"  # time runs forward
    r = client.post(f"{url}/release", json={}, headers=h["controller"])
    assert r.json()["hour"] == 3.0 and r.json()["pending"] == 0
    # Players may not read the log before the end.
    assert client.get(f"{url}/events", headers=h["player"]).status_code == 403
    # Hour 3: a small load from the township station; then the drill ends.
    r = client.post(
        f"{url}/decisions",
        json={"trips": [trip("D2/light-1", {"food": 10, "water": 30})]},
        headers=h["player"],
    )
    assert r.status_code == 201 and r.json()["index"] == 1 and r.json()["hour"] == 3.0
    assert client.post(f"{url}/end", headers=h["controller"]).json()["status"] == "ended"
    r = client.post(f"{url}/decisions", json={"trips": [trip("D2/light-1")]}, headers=h["player"])
    assert r.status_code == 409

    # The score: players against the optimiser on the same information.
    opts = {"time_limit_s": 0.5, "engine": "greedy"}
    r = client.post(f"{url}/score", json=opts, headers=h["controller"])
    assert r.status_code == 202, r.text
    job = wait(client, h["controller"], r.json()["id"])
    assert job["status"] == "done", job
    score = client.get(job["result"], headers=h["viewer"]).json()
    assert score["drill"] == drill["id"]
    players, best = score["players"], score["optimiser"]
    # Two loads of three: S1 gets two thirds of its needs (the share counts a shelter's
    # people by the item it has least of); the optimiser supplies everyone.
    assert players["targets"][0]["share_met"] == pytest.approx(2 / 3, abs=1e-3)
    assert best["targets"][0]["share_met"] == 1.0
    assert players["unserved_units_by_reason"]["not_dispatched"] > 0
    total = players["targets"][0]["people_total"]
    assert players["lateness"][0]["people_hours_late"] == pytest.approx(total * (24 - 10))
    assert best["lateness"][0]["people_hours_late"] == 0
    worst = score["costliest_decisions"][0]
    assert worst["kind"] == "not_met" and worst["reason"] == "not_dispatched"
    assert (
        worst["demands"][0]["demand"] == {"point": "S1", "overflow": False}
        and worst["demands"][0]["player_met_h"] is None
    )
    # The players' trips as played: loads ready in order at D1 (side by side when the depot
    # has a bay for each: the shared loading rule), the later decision after it.
    trips = score["trips"]
    assert [(t["decision"], t["vehicle"]) for t in trips] == [
        (0, "D1/light-1"),
        (0, "D1/light-2"),
        (1, "D2/light-1"),
    ]
    assert trips[0]["loaded_by_h"] <= trips[1]["loaded_by_h"]
    assert trips[2]["leave_h"] >= 3.0
    # What the players' plan delivered is what they ordered (nothing invented or lost).
    sent = sum(
        q for r in score["player_plan"]["routes"] for s in r["stops"] for q in s["items"].values()
    )
    assert sent == 2 * sum(THIRD.values()) + 40

    # The log replays the drill, in order; players may read it now.
    log = client.get(f"{url}/events", headers=h["player"]).json()
    assert [e["kind"] for e in log] == [
        "created",
        "started",
        "decision",
        "released",
        "released",
        "decision",
        "ended",
        "scored",
    ]
    assert [e["hour"] for e in log if e["kind"] == "released"] == [2.5, 3.0]
    assert log[2]["body"]["decision"]["note"] == "first wave" and log[2]["token"] == "player"


def test_a_blind_drill_hides_the_script_from_the_controller(drill_service):
    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario(), "blind": True}
    drill = client.post("/drills", json=body, headers=h["controller"]).json()
    assert drill["script"] is None and drill["pending"] == 2
    url = f"/drills/{drill['id']}"
    client.post(f"{url}/start", headers=h["controller"])
    r = client.post(f"{url}/release", json={"index": 1}, headers=h["controller"])
    assert r.status_code == 422 and r.json()["field"] == "index"
    r = client.post(f"{url}/release", json={}, headers=h["controller"])
    assert [i["index"] for i in r.json()["released"]] == [0] and r.json()["script"] is None


def test_a_clock_drill_releases_injects_on_time(drill_service):
    """At 3,600 drill hours per real hour (one drill hour a second) both injects (2.5 h and
    3 h) are out after ~3 s, logged at the hours they were due."""
    client, h = drill_service
    body = {
        "area": "tiny",
        "scenario": exercise_scenario(),
        "clock": {"mode": "clock", "speed": 3600},
    }
    drill = client.post("/drills", json=body, headers=h["controller"]).json()
    url = f"/drills/{drill['id']}"
    client.post(f"{url}/start", headers=h["controller"])
    seen = client.get(url, headers=h["player"]).json()
    assert seen["released"] == [] and seen["hour"] < 2.5
    r = client.post(f"{url}/advance", json={"to_h": 5}, headers=h["controller"])
    assert r.status_code == 422 and r.json()["field"] == "to_h"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = client.get(url, headers=h["player"]).json()
        if len(seen["released"]) == 2:
            break
        time.sleep(0.2)
    assert [i["at_h"] for i in seen["released"]] == [2.5, 3.0] and seen["hour"] >= 3.0
    log = client.get(f"{url}/events", headers=h["controller"]).json()
    rel = [e for e in log if e["kind"] == "released"]
    assert [e["hour"] for e in rel] == [2.5, 3.0] and {e["token"] for e in rel} == {"clock"}
    started = next(e for e in log if e["kind"] == "started")["at"]
    assert rel[0]["at"] > started


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"scenario": "no-such-scenario"}, 422, "scenario"),
        ({"area": "nowhere"}, 422, "area"),
        ({"scenario": "DROP"}, 422, "scenario.injects"),
        ({"clock": {"mode": "sundial"}}, 422, "clock.mode"),
        ({"clock": {"mode": "clock", "speed": 0}}, 422, "clock.speed"),
    ],
)
def test_bad_drills_are_refused_naming_the_field(drill_service, change, status, field):
    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario(), **change}
    if body["scenario"] == "DROP":
        body["scenario"] = {**exercise_scenario(), "injects": []}
    r = client.post("/drills", json=body, headers=h["controller"])
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert client.get("/drills", headers=h["controller"]).json() == []


def test_an_inject_naming_an_unknown_depot_is_refused_when_the_drill_is_prepared(drill_service):
    client, h = drill_service
    sc = exercise_scenario()
    sc["injects"].append({"at_h": 4, "depots_lost": ["D9"]})
    r = client.post("/drills", json={"area": "tiny", "scenario": sc}, headers=h["controller"])
    assert r.status_code == 422 and r.json()["field"] == "injects[2].depots_lost[0]"


def test_two_decisions_at_once_cannot_both_take_the_last_stock(drill_service, monkeypatch):
    """Both players pass the stock check (D2 holds 15 food; each orders 15) before either
    is stored: the second to land finds the drill changed and gets 409; one order stands."""
    import threading

    from scenarios.drill import DrillBook

    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario()}
    url = "/drills/" + client.post("/drills", json=body, headers=h["controller"]).json()["id"]
    client.post(f"{url}/start", headers=h["controller"])
    both_checked = threading.Barrier(2, timeout=10)
    check = DrillBook.check

    def slow_check(self, *args):
        out = check(self, *args)
        both_checked.wait()
        return out

    monkeypatch.setattr(DrillBook, "check", slow_check)
    order = {"trips": [trip("D2/light-1", {"food": 15})]}
    codes = []

    def send():
        codes.append(client.post(f"{url}/decisions", json=order, headers=h["player"]).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [201, 409]
    log = client.get(f"{url}/events", headers=h["controller"]).json()
    assert [e["kind"] for e in log].count("decision") == 1


def test_players_never_read_a_script(drill_service):
    """A stored scenario's injects are hidden from duty officers; they may not run it as an
    exercise job; their view of a drill names the drill, not the scenario."""
    client, h = drill_service
    sc = exercise_scenario()
    r = client.put("/scenarios/secret", json={"body": sc}, headers=h["controller"])
    assert r.status_code in (200, 201), r.text
    seen = client.get("/scenarios/secret", headers=h["player"]).json()["body"]
    assert seen["injects"] == [] and seen["injects_hidden"] is True
    mine = client.get("/scenarios/secret", headers=h["controller"]).json()["body"]
    assert len(mine["injects"]) == 2
    job = {"kind": "exercise", "area": "tiny", "scenario": "secret"}
    r = client.post("/jobs", json=job, headers=h["player"])
    assert r.status_code == 403 and r.json()["field"] == "role"
    drill = client.post(
        "/drills", json={"area": "tiny", "scenario": "secret"}, headers=h["controller"]
    ).json()
    view = client.get(f"/drills/{drill['id']}", headers=h["player"]).json()
    assert view["name"] == view["scenario"]["name"] == drill["name"] != sc["name"]
    assert "secret" not in json.dumps(view) and "横0-1" not in json.dumps(view)


def test_a_drill_keeps_the_stock_it_was_prepared_with(drill_service):
    """Raising D2's stock in the registry mid-drill does not let players order more."""
    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario()}
    url = "/drills/" + client.post("/drills", json=body, headers=h["controller"]).json()["id"]
    client.post(f"{url}/start", headers=h["controller"])
    r = client.put(
        "/areas/tiny/depots/D2/stock/food", json={"quantity": 10000}, headers=h["player"]
    )
    assert r.status_code == 200
    client.post(f"{url}/release", json={}, headers=h["controller"])  # a new drill book
    order = {"trips": [trip("D2/light-1", {"food": 16})]}
    r = client.post(f"{url}/decisions", json=order, headers=h["player"])
    assert r.status_code == 422 and r.json()["field"] == "trips[0].stops"


def test_a_scenario_that_does_not_apply_is_refused_when_prepared(drill_service):
    client, h = drill_service
    sc = {**exercise_scenario(), "closures": [{"name": "no such road"}]}
    r = client.post("/drills", json={"area": "tiny", "scenario": sc}, headers=h["controller"])
    assert r.status_code == 422 and r.json()["field"] == "closures[0].name"


def test_type_errors_in_a_decision_name_the_field_with_indices(drill_service):
    client, h = drill_service
    body = {"area": "tiny", "scenario": exercise_scenario()}
    url = "/drills/" + client.post("/drills", json=body, headers=h["controller"]).json()["id"]
    client.post(f"{url}/start", headers=h["controller"])
    bad = {"trips": [trip("D1/light-1", {"food": "lots"})]}
    r = client.post(f"{url}/decisions", json=bad, headers=h["player"])
    assert r.status_code == 422 and r.json()["field"] == "trips[0].stops[0].items.food"


def test_a_generated_drill_is_blind_to_everyone_until_it_ends(drill_service):
    """The service draws the flood and the script (Hengshui, minor, two injects): the
    controller sees only how many injects are pending, releases them one by one, and the
    script, seed and all, is shown once the drill has ended; the score then runs."""
    client, h = drill_service
    body = {"area": "hengshui", "generate": {"severity": "minor", "injects": 2}}
    r = client.post("/drills", json=body, headers=h["controller"])
    assert r.status_code == 201, r.text
    drill = r.json()
    assert drill["blind"] and drill["script"] is None and drill["pending"] == 2
    assert drill["scenario"]["name"] == drill["name"] and drill["scenario"]["injects"] == []
    url = f"/drills/{drill['id']}"
    client.post(f"{url}/start", headers=h["controller"])
    for left in (1, 0):
        r = client.post(f"{url}/release", json={}, headers=h["controller"])
        assert r.status_code == 200 and r.json()["pending"] == left and r.json()["script"] is None
    ended = client.post(f"{url}/end", headers=h["controller"]).json()
    assert len(ended["script"]) == 2 and ended["scenario"]["name"].startswith("hengshui-minor-")
    seen = client.get(url, headers=h["player"]).json()
    assert seen["script"] == ended["script"]
    opts = {"time_limit_s": 0.5, "engine": "greedy"}
    job = wait(
        client,
        h["controller"],
        client.post(f"{url}/score", json=opts, headers=h["controller"]).json()["id"],
        timeout=180,
    )
    assert job["status"] == "done", job
    score = client.get(job["result"], headers=h["controller"]).json()
    assert score["players"]["unserved_units_by_reason"] == {
        "not_dispatched": score["players"]["unserved_units"]
    }  # the players did nothing
    assert score["optimiser"]["targets"][0]["people_total"] > 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"area": "tiny"}, None),
        ({"area": "tiny", "scenario": "x", "generate": {}}, None),
        ({"area": "hengshui", "generate": {"severity": "apocalyptic"}}, "generate.severity"),
        ({"area": "hengshui", "generate": {"injects": 0}}, "generate.injects"),
        ({"area": "tiny", "generate": {}}, "rivers"),
    ],
)
def test_bad_generated_drills_name_the_problem(drill_service, body, field):
    client, h = drill_service
    r = client.post("/drills", json=body, headers=h["controller"])
    assert r.status_code == 422, r.text
    if field:
        assert r.json()["field"] == field
    else:
        assert "exactly one of scenario, generate" in r.json()["problem"]


def test_a_re_plan_cancels_only_the_callers_trips_and_says_which(drill_service, tmp_path):
    """Two duty officers order trips; one re-plans: only that officer's pending trips are
    cancelled, listed in the reply; the other's still play."""
    client, h = drill_service
    engine, sessions = open_db(client.app.state.settings.db_url)
    with sessions() as s:
        other = {"Authorization": f"Bearer {create_token(s, 'player-2', 'duty_officer')}"}
    engine.dispose()  # an engine left to the garbage collector leaves its connection open
    body = {"area": "tiny", "scenario": exercise_scenario()}
    url = "/drills/" + client.post("/drills", json=body, headers=h["controller"]).json()["id"]
    client.post(f"{url}/start", headers=h["controller"])
    mine = {"trips": [trip("D1/light-1", {"food": 5}), trip("D1/light-1", {"food": 5})]}
    theirs = {"trips": [trip("D1/light-2", {"food": 5})]}
    assert client.post(f"{url}/decisions", json=mine, headers=h["player"]).status_code == 201
    assert client.post(f"{url}/decisions", json=theirs, headers=other).status_code == 201
    r = client.post(f"{url}/decisions", json={"replace_pending": True}, headers=other)
    assert r.status_code == 201, r.text
    assert r.json()["cancelled"] == [{"decision": 1, "trip": 0, "vehicle": "D1/light-2"}]
    r = client.post(f"{url}/decisions", json={"replace_pending": True}, headers=h["player"])
    assert [(c["decision"], c["trip"]) for c in r.json()["cancelled"]] == [(0, 0), (0, 1)]
    log = client.get(f"{url}/events", headers=h["controller"]).json()
    assert [e["body"].get("cancelled") for e in log if e["kind"] == "decision"] == [
        [],
        [],
        [[1, 0]],
        [[0, 0], [0, 1]],
    ]


def test_nothing_a_player_or_viewer_reads_can_regenerate_a_generated_drill(drill_service):
    """Before the end, no role's view of a generated drill holds its seed, its severity or
    a trace of the generator (the seed and severity are what regenerate the script); the
    ended drill shows the seed, so the check is not vacuous."""
    import re

    client, h = drill_service
    # The seed of the drill, so a failure can be replayed.
    gen = {"severity": "moderate", "injects": 2, "seed": 1358561880}
    r = client.post("/drills", json={"area": "hengshui", "generate": gen}, headers=h["controller"])
    assert r.status_code == 201, r.text
    url = f"/drills/{r.json()['id']}"
    client.post(f"{url}/start", headers=h["controller"])
    client.post(f"{url}/release", json={}, headers=h["controller"])
    seen = {}
    for role in ("controller", "player", "viewer"):
        texts = [client.get(url, headers=h[role]).text, client.get("/drills", headers=h[role]).text]
        events = client.get(f"{url}/events", headers=h[role])
        if events.status_code == 200:  # the controller's log: it may not tell either
            texts.append(events.text)
        seen[role] = "\n".join(texts)
    ended = client.post(f"{url}/end", headers=h["controller"]).json()
    seed = re.search(r"seed (\d+)", ended["scenario"]["floods"][0]["note"]).group(1)
    assert "moderate" in ended["scenario"]["name"]
    for role, text in seen.items():
        numbers = set(re.findall(r"(?<![\d.])\d+(?![\d.])", text))
        assert seed not in numbers, role
        for word in ("moderate", "中度", "seed", "种子", "generat", "生成"):
            assert word not in text, (role, word)


def test_a_restart_builds_the_books_of_running_drills(tmp_path, tiny_gpkg, db_url, monkeypatch):
    """After a start the service builds each running drill's book in the background, so
    the first decision does not wait for it."""
    from service.api import routes_drills

    cfg = settings(tmp_path, tiny_gpkg, db_url, max_time_limit_s=5.0)
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        head = {"Authorization": f"Bearer {create_token(s, 'c', 'exercise_designer')}"}
    engine.dispose()
    body = {"area": "tiny", "scenario": exercise_scenario()}
    with TestClient(create_app(cfg)) as client:
        drill = client.post("/drills", json=body, headers=head).json()["id"]
        client.post(f"/drills/{drill}/start", headers=head)
    routes_drills._BOOKS.clear()  # a new process knows no book
    with TestClient(create_app(cfg)):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(k[0] == drill for k in routes_drills._BOOKS):
            time.sleep(0.1)
        keys = [k for k in routes_drills._BOOKS if k[0] == drill]
        assert keys and routes_drills._BOOKS[keys[0]].result(timeout=30) is not None
