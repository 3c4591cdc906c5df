"""The parts that make a static map explain itself: scale bar, labels off the markers."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from service.i18n import Lang
from service.map_scale import nice_km
from service.maps import use_cjk_font
from service.maps_parts import place_labels, scale_bar


@given(st.floats(0.5, 5000))
def test_scale_bar_length_is_round_and_fits(span_km):
    km = nice_km(span_km)
    mantissa = km / 10 ** math.floor(math.log10(km))
    assert round(mantissa, 9) in (1.0, 2.0, 5.0)
    assert span_km / 10 <= km <= span_km / 2


def test_scale_bar_is_true_at_its_latitude():
    fig = Figure(figsize=(6, 6))
    ax = fig.subplots()
    ax.set_xlim(115.0, 116.0)
    ax.set_ylim(37.0, 38.0)
    km = scale_bar(ax, 37.5, Lang.ZH)
    xs = ax.lines[-1].get_xdata()
    length_km = (max(xs) - min(xs)) * 110.57 * math.cos(math.radians(37.5))
    assert length_km == np.float64(km) or abs(length_km - km) < 1e-9 * km
    assert any(t.get_text() == f"{km:g} 公里" for t in ax.texts)


def test_labels_move_off_the_markers():
    """County names and place names placed by adjustText cover no marker."""
    use_cjk_font()
    fig = Figure(figsize=(6, 6), dpi=100)
    ax = fig.subplots()
    rng = np.random.default_rng(3)
    x = rng.uniform(115.0, 116.0, 30)
    y = rng.uniform(37.0, 38.0, 30)
    ax.scatter(x, y, s=20)
    ax.set_xlim(114.9, 116.1)
    ax.set_ylim(36.9, 38.1)
    labels = [(x[k], y[k], f"避难场所{k}", "place") for k in range(8)]
    labels += [(115.5, 37.5, "桃城区", "county")]
    artists = place_labels(ax, labels, avoid_x=x, avoid_y=y)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    markers = ax.transData.transform(np.column_stack([x, y]))
    covered = 0
    for a in artists:
        box = a.get_window_extent(renderer)
        covered += sum(box.contains(px, py) for px, py in markers)
    assert covered == 0
    # and the labels do not sit on each other
    boxes = [a.get_window_extent(renderer) for a in artists]
    overlaps = sum(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i))
    assert overlaps == 0
