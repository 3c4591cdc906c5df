"""The depot loading rule: bays, rate per bay, dock time, opening hours, loading order."""

from __future__ import annotations

import math
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.defaults import Tier
from solver.errors import DataError
from solver.loading import Dock, DockTrip, LoadingRule, dock_of, play_dock
from solver.network import Depot


def depot(rate: float = 5.0, alert: float = 1.0, opens: float = 0.0, closes: float = 24.0) -> Depot:
    return Depot(
        "D1", "库", Tier.COUNTY, 115.5, 37.5, MappingProxyType({}), rate, alert, opens, closes
    )


def test_bays_share_the_depot_rate():
    """A 20 t/h depot has eight 2.5 t/h bays; a 6 t/h one two bays of 3 t/h (rate kept)."""
    d = dock_of(depot(20.0), 2.0, 18.0)
    assert (d.bays, d.bay_t_per_h) == (8, 2.5)
    d6 = dock_of(depot(6.0), 2.0, 18.0)
    assert d6.bays == 2 and d6.bay_t_per_h * d6.bays == pytest.approx(6.0)
    assert dock_of(depot(1.0), 2.0, 18.0).bays == 1  # never fewer than one bay


def test_a_truckload_takes_dock_time_plus_its_tonnes_at_one_bay():
    """Loading 5 t at one 2.5 t/h bay takes 0.25 + 2 h, whatever the depot's other bays."""
    d = dock_of(depot(20.0, alert=1.0), 2.0, 18.0)  # starts at 3 h
    assert d.start_h == pytest.approx(3.0)
    assert d.finish_h(3.0, 5.0) == pytest.approx(5.25)
    assert d.max_tonnes(5.25) == pytest.approx(5.0)
    assert d.bay_hours(5.0) == pytest.approx(16.0)


def test_loading_pauses_while_the_depot_is_closed():
    """An 8-20 depot alerted at 10 pm starts at 8 am and a long load runs into the next day."""
    d = dock_of(depot(2.5, alert=0.0, opens=8.0, closes=20.0), 0.0, 22.0)
    assert d.start_h == pytest.approx(10.0)  # 8 am is 10 h after a 10 pm report
    # 30 t at 2.5 t/h + 0.25 h = 12.25 h of work: 12 h on the first day, 0.25 h the next.
    assert d.finish_h(10.0, 30.0) == pytest.approx(22.0 + 12.0 + 0.25)


def test_play_loads_in_list_order_one_bay_each():
    """Two bays: the third truckload waits for the first bay free; order is kept."""
    d = Dock("D", ((0.0, 100.0),), 2, 2.5, 0.25)
    trips = [DockTrip("a", 2.5), DockTrip("b", 5.0), DockTrip("c", 2.5)]
    slots = play_dock(d, trips, {"a": 0.0, "b": 0.0, "c": 0.0}, lambda k, t: t + 1.0)
    assert [s.start_h for s in slots] == pytest.approx([0.0, 0.0, 1.25])
    assert [s.bay for s in slots] == [0, 1, 0]
    assert [s.loaded_h for s in slots] == pytest.approx([1.25, 2.25, 2.5])


def test_a_truck_is_loaded_only_once_back():
    """One truck, two trips: the second loads when the truck is back, not before."""
    d = Dock("D", ((0.0, 100.0),), 4, 2.5, 0.25)
    slots = play_dock(d, [DockTrip("a", 2.5), DockTrip("a", 2.5)], {"a": 0.0}, lambda k, t: t + 3.0)
    assert slots[1].start_h == pytest.approx(1.25 + 3.0)


def test_a_truck_that_cannot_come_back_loads_nothing_more():
    """A drive that returns None takes the truck out of service."""
    d = Dock("D", ((0.0, 100.0),), 1, 2.5, 0.25)
    slots = play_dock(d, [DockTrip("a", 1.0), DockTrip("a", 1.0)], {"a": 0.0}, lambda k, t: None)
    assert slots[0] is not None and slots[1] is None


def test_cancelled_load_keeps_the_time_spent():
    """A load cancelled at 1 h kept its bay busy until then; goods on a truck need no bay."""
    d = Dock("D", ((0.0, 100.0),), 1, 2.5, 0.25)
    slots = play_dock(
        d,
        [DockTrip("a", 5.0, cancel_h=1.0), DockTrip("b", 2.5), DockTrip("c", 9.0, loaded_h=0.5)],
        {"a": 0.0, "b": 0.0, "c": 0.0},
        lambda k, t: t + 1.0,
    )
    assert slots[0] is None
    assert slots[1].start_h == pytest.approx(1.0)
    assert slots[2].bay is None and slots[2].depart_h == pytest.approx(0.5)


def test_bays_busy_at_a_re_plan_stay_busy():
    """A bay still loading until 2 h takes no new truckload before then."""
    d = Dock("D", ((0.0, 100.0),), 1, 2.5, 0.25, busy_until=(2.0,))
    slots = play_dock(d, [DockTrip("a", 1.0)], {"a": 0.0}, lambda k, t: t)
    assert slots[0].start_h == pytest.approx(2.0)


def test_bad_loading_rules_are_refused():
    """A bay rate of 0 or a negative dock time names the field."""
    with pytest.raises(DataError, match="bay_t_per_h"):
        LoadingRule(bay_t_per_h=0.0)
    with pytest.raises(DataError, match="dock_h"):
        LoadingRule(dock_h=-1.0)


@settings(max_examples=60, deadline=None)
@given(
    bays=st.integers(1, 3),
    loads=st.lists(
        st.tuples(st.integers(0, 2), st.floats(0.1, 6.0), st.floats(0.0, 3.0)),
        min_size=1,
        max_size=7,
    ),
    drive=st.floats(0.1, 3.0),
)
def test_list_order_never_starts_later_than_a_feasible_schedule(bays, loads, drive):
    """Replaying any feasible schedule's loads in the order of its starts never starts later.

    The feasible schedule here is the play itself with every load delayed by its own slack;
    the replay of the same order must start each load no later than that schedule did.
    """
    d = Dock("D", ((0.0, 1000.0),), bays, 2.5, 0.25)
    trips = [DockTrip(f"t{truck}", tonnes, not_before) for truck, tonnes, not_before in loads]
    free = {t.truck: 0.0 for t in trips}
    first = play_dock(d, trips, free, lambda k, t: t + drive)
    # A later schedule: every trip may start no earlier than in the first play plus a delay;
    # it is feasible (same order, only later), so the replay must not be later than it.
    delayed = [
        DockTrip(t.truck, t.tonnes, s.start_h + 0.5) for t, s in zip(trips, first, strict=True)
    ]
    late = play_dock(d, delayed, free, lambda k, t: t + drive)
    for a, b in zip(first, late, strict=True):
        assert a.start_h <= b.start_h + 1e-9
    # Starts follow the list (strict order) and each load takes its own bay time.
    starts = [s.start_h for s in first]
    assert starts == sorted(starts)
    for t, s in zip(trips, first, strict=True):
        assert s.loaded_h - s.start_h == pytest.approx(d.load_h(t.tonnes))
        assert math.isfinite(s.depart_h)
