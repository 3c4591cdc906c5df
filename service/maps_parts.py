"""What makes a static map explain itself.

Roads by class, rivers, a scale bar, a north arrow, the date and the data source, and labels
placed off the markers and off each other (adjustText).

Used by :mod:`service.maps`; every function draws on a matplotlib ``Axes`` in lon/lat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.lines import Line2D

from service.i18n import Lang, pick
from service.map_scale import km_per_deg_lon, nice_km

#: Road classes from most to least important: line width and colour (as on the papers' maps).
ROAD_STYLE: dict[str, tuple[float, str]] = {
    "expressway": (1.6, "#e08e0b"),
    "national": (1.3, "#e0a526"),
    "provincial": (1.0, "#d8b84a"),
    "county": (0.6, "#9a9a9a"),
}
ROAD_NAMES: dict[str, tuple[str, str]] = {
    "expressway": ("高速公路", "expressway"),
    "national": ("国道", "national road"),
    "provincial": ("省道", "provincial road"),
    "county": ("县道", "county road"),
}


def draw_roads(ax: Any, roads: gpd.GeoDataFrame | None, handles: list[Any], lang: Lang) -> None:
    """Main roads by class (township roads left out at this scale), each class in the legend."""
    if roads is None or not len(roads) or "road_class" not in roads:
        return
    for cls in reversed(list(ROAD_STYLE)):
        width, colour = ROAD_STYLE[cls]
        sel = roads[roads["road_class"] == cls]
        if len(sel):
            sel.plot(ax=ax, color=colour, linewidth=width, zorder=1)
            handles.append(
                Line2D(
                    [], [], color=colour, linewidth=width + 0.6, label=pick(*ROAD_NAMES[cls], lang)
                )
            )


def draw_rivers(ax: Any, rivers: gpd.GeoDataFrame | None, handles: list[Any], lang: Lang) -> None:
    """Rivers and canals as blue lines."""
    if rivers is None or not len(rivers):
        return
    rivers.plot(ax=ax, color="#4f8fd0", linewidth=1.4, zorder=1)
    handles.append(
        Line2D([], [], color="#4f8fd0", linewidth=1.8, label=pick("河流", "river", lang))
    )


def scale_bar(ax: Any, lat: float, lang: Lang) -> float:
    """A scale bar in the lower right, true at latitude ``lat``; returns its length in km."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg = km_per_deg_lon(lat)
    km = nice_km((x1 - x0) * km_per_deg)
    length = km / km_per_deg
    right = x1 - 0.04 * (x1 - x0)
    y = y0 + 0.04 * (y1 - y0)
    tick = 0.008 * (y1 - y0)
    ax.plot(
        [right - length, right - length, right, right],
        [y + tick, y, y, y + tick],
        color="black",
        linewidth=1.6,
        zorder=9,
        solid_capstyle="butt",
    )
    ax.text(
        right - length / 2,
        y + 1.6 * tick,
        f"{km:g} {pick('公里', 'km', lang)}",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=9,
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1},
    )
    return km


def north_arrow(ax: Any, lang: Lang) -> None:
    """A north arrow in the upper right corner."""
    ax.annotate(
        pick("北", "N", lang) if lang is not Lang.BOTH else "北 N",
        xy=(0.96, 0.97),
        xytext=(0.96, 0.88),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="top",
        fontsize=9,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.4},
        zorder=9,
    )


def when_text(report_time: str, lang: Lang) -> str:
    """The disaster report's time (an ISO text) and the time the map is drawn."""
    from datetime import datetime

    now = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    parts = []
    if report_time:
        reported = datetime.fromisoformat(report_time).strftime("%Y-%m-%d %H:%M")
        parts.append(f"{pick('灾情报告', 'reported', lang)} {reported}")
    parts.append(f"{pick('制图', 'drawn', lang)} {now}")
    return ", ".join(parts)


def footer(fig: Any, when: str, source: str, lang: Lang) -> None:
    """The plan's date and time and the data source under the map."""
    parts = []
    if when:
        parts.append(f"{pick('时间', 'time', lang)}: {when}")
    if source:
        parts.append(f"{pick('数据来源', 'data', lang)}: {source}")
    if parts:
        fig.text(
            0.01, 0.005, " · ".join(parts), fontsize=7, color="#444444", ha="left", va="bottom"
        )


#: Label styles: font size, colour, weight, and whether a leader line joins label and place.
LABEL_STYLE: dict[str, tuple[float, str, str, bool]] = {
    "county": (8.5, "#555555", "bold", False),
    "depot": (7, "#0d3c78", "normal", True),
    "place": (7, "#8e1b1b", "normal", True),
}


def place_labels(
    ax: Any,
    labels: Sequence[tuple[float, float, str, str]],
    *,
    avoid_x: Sequence[float] = (),
    avoid_y: Sequence[float] = (),
) -> list[Any]:
    """Labels (lon, lat, text, kind) moved by adjustText off each other and off the markers.

    ``kind`` is a key of :data:`LABEL_STYLE`; (``avoid_x``, ``avoid_y``) are the markers'
    positions, which no label may cover.
    """
    from adjustText import adjust_text

    artists = []
    for x, y, text, kind in labels:
        size, colour, weight, _ = LABEL_STYLE[kind]
        artists.append(
            ax.text(
                x,
                y,
                text,
                fontsize=size,
                color=colour,
                fontweight=weight,
                ha="center",
                va="center",
                zorder=8,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.4},
            )
        )
    if not artists:
        return artists
    adjust_text(
        artists,
        x=np.asarray(avoid_x, dtype=float) if len(avoid_x) else None,
        y=np.asarray(avoid_y, dtype=float) if len(avoid_y) else None,
        ax=ax,
        time_lim=3.0,
        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5},
    )
    return artists
