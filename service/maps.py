"""Static maps (PNG) with Chinese and English labels.

Matplotlib ships no CJK glyphs, so a subset of Noto Sans CJK SC (OFL, built by
``service/assets/make_font.py``) is registered on first use; Latin text keeps DejaVu Sans.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib import font_manager, rcParams
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geodata.io import write_atomic
from service.i18n import STATUSES, Lang, pick
from service.maps_parts import (
    draw_rivers,
    draw_roads,
    footer,
    north_arrow,
    place_labels,
    scale_bar,
)
from service.papers_font import FONT_FILE
from solver.defaults import Tier

_registered = False


def use_cjk_font() -> str:
    """Register the bundled CJK font with matplotlib and make it the default; return its name."""
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(FONT_FILE))
        _registered = True
    name = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    return name


TIER_STYLE = {  # marker, size, colour
    "municipal": ("*", 220, "#7b1fa2"),
    "county": ("s", 70, "#1565c0"),
    "township": ("^", 18, "#00838f"),
    "enterprise": ("D", 30, "#6d4c41"),
    "community": ("o", 14, "#546e7a"),
}
STATUS_COLOUR = {"met": "#2e7d32", "partial": "#f9a825", "late": "#ef6c00", "unmet": "#c62828"}


def _canvas(boundaries: gpd.GeoDataFrame | None) -> tuple[Figure, Any]:
    """A figure (no pyplot backend, so headless and in notebooks) with county outlines."""
    use_cjk_font()
    fig = Figure(figsize=(9, 10), dpi=110)
    ax = fig.subplots()
    if boundaries is not None and len(boundaries):
        _counties(boundaries).boundary.plot(ax=ax, color="#555555", linewidth=0.6)
    return fig, ax


def _counties(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return boundaries[boundaries.get("level", "county") == "county"]


def _county_labels(boundaries: gpd.GeoDataFrame | None) -> list[tuple[float, float, str, str]]:
    """Each county's name at a point inside it, to be placed off the markers."""
    if boundaries is None or not len(boundaries):
        return []
    out = []
    for _, row in _counties(boundaries).iterrows():
        c = row.geometry.representative_point()
        out.append((float(c.x), float(c.y), str(row["name"]), "county"))
    return out


def _draw_flood(ax: Any, flood: gpd.GeoDataFrame | None) -> bool:
    """The flood polygons, if any; True when drawn."""
    if flood is None or not len(flood):
        return False
    flood.plot(ax=ax, color="#64b5f6", alpha=0.45, edgecolor="#1e88e5", linewidth=0.5)
    return True


def _finish(
    path: Path,
    fig: Figure,
    ax: Any,
    handles: list[Artist],
    title: str,
    lat: float,
    lang: Lang,
    *,
    labels: Sequence[tuple[float, float, str, str]] = (),
    avoid: tuple[Sequence[float], Sequence[float]] = ((), ()),
    when: str = "",
    source: str = "",
) -> None:
    """Finish a map and write the PNG.

    Legend, title, labels off the markers, a scale bar and north arrow true at ``lat``, the
    date and data source, axis labels.
    """
    ax.set_aspect(1 / np.cos(np.radians(lat)))
    ax.set_xlabel(pick("经度", "longitude", lang))
    ax.set_ylabel(pick("纬度", "latitude", lang))
    ax.set_title("\n".join(textwrap.fill(line, 64) for line in title.split("\n")), fontsize=11)
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
    fig.tight_layout(rect=(0, 0.015, 1, 1))
    place_labels(ax, labels, avoid_x=avoid[0], avoid_y=avoid[1])
    scale_bar(ax, lat, lang)
    north_arrow(ax, lang)
    footer(fig, when, source, lang)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))


def _xy(*frames: gpd.GeoDataFrame | None) -> tuple[list[float], list[float]]:
    """The x and y of every point of ``frames``, for labels to avoid."""
    xs: list[float] = []
    ys: list[float] = []
    for f in frames:
        if f is not None and len(f):
            xs += [float(v) for v in f.geometry.x]
            ys += [float(v) for v in f.geometry.y]
    return xs, ys


def _draw_depots(ax: Any, depots: gpd.GeoDataFrame, handles: list[Artist], lang: Lang) -> None:
    """Depots by tier (marker, size and colour of TIER_STYLE), each tier in the legend."""
    for tier, (marker, size, colour) in TIER_STYLE.items():
        sel = depots[depots["tier"] == tier]
        if len(sel):
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                marker=marker,
                s=size,
                c=colour,
                edgecolors="white",
                linewidths=0.5,
                zorder=4,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=marker,
                    linestyle="",
                    color=colour,
                    markersize=7,
                    label=pick(Tier(tier).zh, tier, lang),
                )
            )


def relief_map(
    path: Path,
    *,
    title: str,
    boundaries: gpd.GeoDataFrame | None,
    depots: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    flood: gpd.GeoDataFrame | None,
    lang: Lang,
    roads: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    when: str = "",
    source: str = "",
    max_labels: int = 12,
) -> None:
    """Draw the relief check's map to ``path``.

    Counties, roads by class, rivers, flood, depots by tier and demand points coloured by
    status; the ``max_labels`` largest places not met in time are named.

    ``depots`` needs a ``tier`` column; ``points`` needs ``status`` and ``people`` (and
    ``label`` or ``name`` for labels). ``when`` (the plan's date and time) and ``source``
    (the data) are printed under the map.
    """
    fig, ax = _canvas(boundaries)
    handles: list[Artist] = []
    draw_roads(ax, roads, handles, lang)
    draw_rivers(ax, rivers, handles, lang)
    flooded = _draw_flood(ax, flood)
    _draw_depots(ax, depots, handles, lang)
    for status, colour in STATUS_COLOUR.items():
        sel = points[points["status"] == status]
        if len(sel):
            size = 8 + 60 * np.sqrt(sel["people"].to_numpy() / max(points["people"].max(), 1))
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                s=size,
                c=colour,
                alpha=0.85,
                edgecolors="black",
                linewidths=0.3,
                zorder=5,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour,
                    markersize=7,
                    label=pick(*STATUSES[status], lang),
                )
            )
    if flooded:
        handles.append(Patch(color="#64b5f6", alpha=0.45, label=pick("洪水范围", "flood", lang)))
    lat = float(points.geometry.y.mean()) if len(points) else 38.0
    labels = _county_labels(boundaries)
    if len(points) and "name" in points:
        late = points[points["status"] != "met"].sort_values("people", ascending=False)
        for _, r in late.head(max_labels).iterrows():
            text = r.get("label") or r["name"] or r.get("id", "")
            labels.append((r.geometry.x, r.geometry.y, str(text), "place"))
    _finish(
        path,
        fig,
        ax,
        handles,
        title,
        lat,
        lang,
        labels=labels,
        avoid=_xy(points, depots),
        when=when,
        source=source,
    )


def site_map(
    path: Path,
    *,
    title: str,
    boundaries: gpd.GeoDataFrame | None,
    sites: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    before: np.ndarray | None,
    after: np.ndarray | None,
    lang: Lang,
) -> None:
    """Existing depots, new sites (stars) and points by coverage: kept, gained, still out."""
    fig, ax = _canvas(boundaries)
    handles: list[Artist] = []
    if before is not None and after is not None:
        for mask, colour, zh, en in (
            (before, "#9e9e9e", "原已覆盖", "covered before"),
            (after & ~before, "#2e7d32", "新增覆盖", "newly covered"),
            (~after, "#c62828", "仍未覆盖", "not covered"),
        ):
            sel = points[mask]
            if len(sel):
                ax.scatter(sel.geometry.x, sel.geometry.y, s=3, c=colour, zorder=3)
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker="o",
                        linestyle="",
                        color=colour,
                        markersize=5,
                        label=pick(zh, en, lang),
                    )
                )
    else:
        ax.scatter(points.geometry.x, points.geometry.y, s=2, c="#9e9e9e", zorder=3)
    _draw_depots(ax, sites[~sites["new"]], handles, lang)
    new = sites[sites["new"]]
    if len(new):
        ax.scatter(
            new.geometry.x,
            new.geometry.y,
            marker="*",
            s=380,
            c="#d50000",
            edgecolors="black",
            linewidths=0.8,
            zorder=6,
        )
        for _, r in new.iterrows():
            text = r["name"] if lang is not Lang.EN else r["id"]
            extra = r.get("size_class") or r.get("tier") or ""
            ax.annotate(
                f"{text} {extra}".strip(),
                (r.geometry.x, r.geometry.y),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=8,
                zorder=7,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                linestyle="",
                color="#d50000",
                markersize=12,
                label=pick("新建站址", "new site", lang),
            )
        )
    lat = float(points.geometry.y.mean()) if len(points) else 38.0
    _finish(path, fig, ax, handles, title, lat, lang)


def route_map(
    path: Path,
    *,
    title: str,
    boundaries: gpd.GeoDataFrame | None,
    depots: gpd.GeoDataFrame,
    legs: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    flood: gpd.GeoDataFrame | None,
    closed: gpd.GeoDataFrame | None,
    lang: Lang,
    roads: gpd.GeoDataFrame | None = None,
    when: str = "",
    source: str = "",
    max_labels: int = 8,
) -> None:
    """Routes of a dispatch plan: delivery legs coloured by depot, places by on-time status.

    ``legs`` needs ``leg`` (delivery/return/transfer) and ``depot``; ``stops`` needs
    ``late`` (bool), and ``name`` to label late places; ``depots`` with ``id`` and ``name``
    get the ``max_labels`` depots that send the most trucks labelled; ``closed`` are closed
    roads (lines).
    """
    fig, ax = _canvas(boundaries)
    handles: list[Artist] = []
    draw_roads(ax, roads, handles, lang)
    if _draw_flood(ax, flood):
        handles.append(Patch(color="#64b5f6", alpha=0.45, label=pick("洪水范围", "flood", lang)))
    if closed is not None and len(closed):
        closed.plot(ax=ax, color="black", linewidth=2.2, zorder=6)
        handles.append(
            Line2D(
                [], [], color="black", linewidth=2.2, label=pick("封闭道路", "closed road", lang)
            )
        )
    if len(legs):
        palette = [
            "#1b9e77",
            "#d95f02",
            "#7570b3",
            "#e7298a",
            "#66a61e",
            "#e6ab02",
            "#a6761d",
            "#666666",
        ]
        depots_used = sorted(legs["depot"].unique())
        colour = {d: palette[k % len(palette)] for k, d in enumerate(depots_used)}
        out = legs[legs["leg"] == "delivery"]
        for depot, sel in out.groupby("depot"):
            sel.plot(ax=ax, color=colour[str(depot)], linewidth=1.0, alpha=0.8, zorder=3)
        back = legs[legs["leg"] == "return"]
        if len(back):
            back.plot(ax=ax, color="#9e9e9e", linewidth=0.5, alpha=0.5, linestyle="--", zorder=2)
        air = legs[legs["leg"] == "transfer"]
        if len(air):
            air.plot(ax=ax, color="#0d47a1", linewidth=1.2, linestyle=":", zorder=3)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#0d47a1",
                    linestyle=":",
                    label=pick("舟艇/直升机转运", "boat/air transfer", lang),
                )
            )
        handles.append(
            Line2D(
                [],
                [],
                color=palette[0],
                label=pick("送货路线(按出发库着色)", "delivery route (colour = depot)", lang),
            )
        )
        handles.append(
            Line2D(
                [],
                [],
                color="#9e9e9e",
                linestyle="--",
                label=pick("返回仓库", "return to depot", lang),
            )
        )
    _draw_depots(ax, depots, handles, lang)
    for late, colour_, zh, en in (
        (False, "#2e7d32", "首个时限前满足", "met by the first target"),
        (True, "#c62828", "晚于首个时限", "after the first target"),
    ):
        sel = stops[stops["late"] == late] if len(stops) else stops
        if len(sel):
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                s=18,
                c=colour_,
                edgecolors="black",
                linewidths=0.3,
                zorder=5,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour_,
                    markersize=6,
                    label=pick(zh, en, lang),
                )
            )
    lat = float(depots.geometry.y.mean()) if len(depots) else 38.0
    labels = _county_labels(boundaries)
    if "name" in depots and "id" in depots and len(legs):
        trips = legs[legs["leg"] == "delivery"]["depot"].astype(str).value_counts()
        busiest = set(trips.index[:max_labels])
        for _, r in depots[depots["id"].astype(str).isin(busiest)].iterrows():
            labels.append((r.geometry.x, r.geometry.y, str(r["name"] or r["id"]), "depot"))
    if len(stops) and "name" in stops:
        late = stops[stops["late"]]
        for _, r in late.head(max_labels).iterrows():
            labels.append((r.geometry.x, r.geometry.y, str(r["name"]), "place"))
    _finish(
        path,
        fig,
        ax,
        handles,
        title,
        lat,
        lang,
        labels=labels,
        avoid=_xy(stops, depots),
        when=when,
        source=source,
    )
