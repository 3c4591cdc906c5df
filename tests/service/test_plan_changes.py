"""What a re-dispatch changed (service.plan_changes): each kind of change, and properties."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from service.plan_changes import MOVED_H, plan_changes


def stop(point, arrive, roads=("A",), leave=None):
    leave = arrive - 0.5 if leave is None else leave
    return {"point": point, "leave_h": leave, "arrive_h": arrive, "roads": list(roads)}


def plan(routes, committed=(), met=(100, 150), redispatch=None):
    doc = {
        "routes": [{"vehicle": v, "stops": list(s)} for v, s in routes.items()],
        "committed": [dict(s, vehicle=v) for v, s in committed],
        "kpis": {
            "targets": [
                {"hours": 10.0, "people_total": 200, "people_met": met[0]},
                {"hours": 12.0, "people_total": 200, "people_met": met[1]},
            ]
        },
    }
    if redispatch is not None:
        doc["redispatch"] = redispatch
    return doc


OLD = plan(
    {
        "a": [stop("P1", 2.0), stop("P2", 4.0)],
        "b": [stop("P3", 3.0)],
        "c": [stop("P4", 5.0)],
        "d": [stop("P5", 6.0)],
        "e": [stop("P6", 7.0)],
    }
)


def test_each_kind_of_change():
    new = plan(
        {
            "a": [stop("P2", 4.0)],  # its first stop was under way: committed, unchanged
            "b": [stop("P5", 3.5)],  # another place
            "c": [stop("P4", 5.0, roads=("B",))],  # same place, other roads
            "d": [stop("P5", 6.0 + 2 * MOVED_H)],  # later
            "f": [stop("P6", 7.5)],  # a truck that had no work
        },
        committed=[("a", stop("P1", 2.0))],
        met=(90, 160),
        redispatch={
            "at_h": 1.5,
            "closures": [{"name": "x"}],
            "added_affected": [{"point": "P1", "people": 30}],
            "depots_lost": ["D2"],
            "stuck_vehicles": ["c"],
        },
    )
    ch = plan_changes(OLD, new)
    kinds = {v.vehicle: v.change for v in ch.vehicles}
    assert kinds == {"b": "stops", "c": "path", "d": "times", "e": "dropped", "f": "new"}
    assert ch.unchanged == 1  # a
    b = next(v for v in ch.vehicles if v.vehicle == "b")
    assert (b.before, b.after) == (("P3",), ("P5",))
    assert [(t.hours, t.met_before, t.met_after) for t in ch.targets] == [
        (10.0, 100, 90),
        (12.0, 150, 160),
    ]
    assert (ch.at_h, ch.closures, ch.people_added, ch.depots_lost) == (1.5, 1, 30, ("D2",))
    assert ch.stuck_vehicles == ("c",)


def test_a_small_shift_is_no_change():
    new = copy.deepcopy(OLD)
    new["routes"][0]["stops"][0]["arrive_h"] += MOVED_H / 2
    assert plan_changes(OLD, new).vehicles == ()


routes = st.dictionaries(
    st.sampled_from(["v1", "v2", "v3", "v4"]),
    st.lists(
        st.builds(
            stop,
            st.sampled_from(["P1", "P2", "P3"]),
            st.floats(1, 20),
            st.lists(st.sampled_from(["A", "B"]), max_size=2),
        ),
        max_size=3,
    ),
    max_size=4,
)


@given(routes, routes)
def test_changes_are_symmetric_and_count_every_vehicle(a, b):
    old, new = plan(a), plan(b)
    assert plan_changes(old, old).vehicles == ()
    there = plan_changes(old, new)
    back = plan_changes(new, old)
    flip = {"new": "dropped", "dropped": "new"}
    assert {(v.vehicle, flip.get(v.change, v.change)) for v in there.vehicles} == {
        (v.vehicle, v.change) for v in back.vehicles
    }
    working = {v for v, s in a.items() if s} | {v for v, s in b.items() if s}
    assert there.unchanged + len(there.vehicles) == len(working)
