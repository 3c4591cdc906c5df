"""What "met" means: one definition for the bound, plans, drills and scores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.met import Arrival, met_h, people_hours_late, share_curve, share_met

NEED = {"food": 100, "water": 300, "tent": 10}


def test_share_is_the_least_covered_item():
    """Half the food and all the rest by then: half the people are met."""
    got = [Arrival("food", 50, 5.0), Arrival("water", 300, 5.0), Arrival("tent", 10, 5.0)]
    assert share_met(NEED, got, 4.0, 1.0, 6.0) == pytest.approx(0.5)
    assert share_met(NEED, got, 4.0, 1.0, 5.9) == 0.0  # handed out 1 h after arrival


def test_nobody_is_met_before_they_are_there():
    """Goods early do not help people who arrive at 8 h with a 1 h handover until 9 h."""
    got = [Arrival(i, q, 1.0) for i, q in NEED.items()]
    assert share_met(NEED, got, 8.0, 1.0, 8.9) == 0.0
    assert share_met(NEED, got, 8.0, 1.0, 9.0) == 1.0
    assert met_h(NEED, got, 8.0, 1.0) == pytest.approx(9.0)


def test_met_time_is_the_last_item_in_full():
    """Whole needs are met when the last item's need is reached, plus the handover."""
    got = [
        Arrival("food", 60, 2.0),
        Arrival("food", 40, 5.0),
        Arrival("water", 300, 3.0),
        Arrival("tent", 10, 4.0),
    ]
    assert met_h(NEED, got, 0.0, 0.5) == pytest.approx(5.5)
    assert met_h(NEED, got[:2], 0.0, 0.5) is None


def test_lateness_integrates_people_not_met():
    """1,000 people half met from 11 h and fully from 13 h: 500 person-hours after 10 h..."""
    curve = [(11.0, 0.5), (13.0, 1.0)]
    # 10-11: 1000, 11-13: 500 x 2 = 1000 -> 2000 person-hours after 10 h
    assert people_hours_late(1000, curve, 10.0, 24.0) == pytest.approx(2000.0)
    assert people_hours_late(1000, [], 10.0, 12.0) == pytest.approx(2000.0)


@settings(max_examples=80, deadline=None)
@given(
    arrivals=st.lists(
        st.tuples(st.sampled_from(sorted(NEED)), st.integers(0, 200), st.floats(0.0, 20.0)),
        max_size=8,
    ),
    t=st.floats(0.0, 24.0),
    subset=st.sets(st.sampled_from(sorted(NEED)), min_size=1),
)
def test_all_needs_never_outnumber_one_group(arrivals, t, subset):
    """People with every need met are never more than those with some needs met."""
    got = [Arrival(i, q, at) for i, q, at in arrivals]
    every = share_met(NEED, got, 1.0, 0.5, t)
    some = share_met(NEED, got, 1.0, 0.5, t, items=sorted(subset))
    assert every <= some + 1e-12
    curve = share_curve(NEED, got, 1.0, 0.5)
    shares = [s for _, s in curve]
    assert shares == sorted(shares)  # the share met never falls as time goes on
