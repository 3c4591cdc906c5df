"""Seeded, reproducible flood scenarios for an area (exercise designers, batch sweeps).

Method (synthetic: no elevation model is bundled, so floods follow the rivers):

1. a river of the area's ``rivers`` layer is drawn with probability proportional to its
   length, and a stretch of it (length by severity, start uniform along the river);
2. the flood is that stretch buffered by half the severity's width (metric CRS), with a
   depth drawn around the severity's depth (±20 %), simplified to 50 m;
3. everyone living inside is relocated (``all_points``, ``in_flood``, share 1);
4. each bridge inside fails with the severity's probability (closed by road id);
5. depots inside the water are lost when it is at least 1 m deep;
6. a share of the fleet is unavailable (crews and trucks caught by the flood);
7. the response level follows the national thresholds on people relocated (domain.md §3:
   ≥200万 I, ≥100万 II, ≥50万 III, otherwise IV — below 10万 the national plan does not
   apply, and the province's level IV is the nearest).

The same area, seed and severity always give the same scenario. Severity parameters are
assumptions ("generator-assumed" in ``solver/sources.py``).

Injects (:func:`generate_injects`, for drills nobody has scripted by hand, 双盲): each draws
one event near the flood (within :data:`NEAR_KM` of it) at an hour between
:data:`INJECT_HOURS`: a road or bridge not yet closed fails (bridges first), 20–60 % of a
village by the water (outside the flood, not yet relocated) is relocated too, or a depot by
the water floods. They come from their own random stream, so a scenario with injects is the
same scenario as without.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import substring

from geodata.area import Area
from scenarios.severity import SEVERITIES as SEVERITIES  # re-exported
from scenarios.severity import Severity as Severity
from solver.errors import DataError

#: National response levels by people relocated (紧急转移安置), 2016/2024 plans.
LEVELS = ((2_000_000, "I"), (1_000_000, "II"), (500_000, "III"))


#: How near the flood generated injects happen, and between which hours (assumed).
NEAR_KM = 5.0  # "generator-assumed"
INJECT_HOURS = (1.0, 9.0)


def response_level(relocated: int) -> str:
    """The national response level for ``relocated`` people (IV below the level III bar)."""
    return next((level for bar, level in LEVELS if relocated >= bar), "IV")


def generate_scenario(
    area: Area, seed: int, severity: str = "major", injects: int = 0
) -> dict[str, Any]:
    """A scenario mapping (as in a scenario YAML) for ``area``; same inputs, same output.

    ``injects``: add that many generated injects (:func:`generate_injects`).
    """
    if severity not in SEVERITIES:
        raise DataError(
            f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}",
            field="severity",
            problem_zh="未知灾情等级",
        )
    sev = SEVERITIES[severity]
    rivers = cast("gpd.GeoDataFrame | None", area.layers.get("rivers"))
    if rivers is None or not len(rivers):
        raise DataError(
            "the area has no rivers layer to grow floods along",
            field="rivers",
            problem_zh="区域缺少河流图层",
        )
    rng = np.random.default_rng(seed)
    metric = area.roads.metric_crs
    projected: gpd.GeoDataFrame = rivers.to_crs(metric)
    lines = gpd.GeoSeries(list(projected.geometry), crs=metric)
    lengths = lines.length.to_numpy()
    net = area.network
    # A stretch where nobody lives makes no exercise: draw again (same seed, same draws).
    for _ in range(50):
        k = int(rng.choice(len(lines), p=lengths / lengths.sum()))
        line, total = lines.iloc[k], float(lengths[k])
        stretch = min(total, sev.length_km * 1000)
        start = float(rng.uniform(0, total - stretch)) if total > stretch else 0.0
        piece = substring(line, start, start + stretch)
        flood_m = piece.buffer(sev.width_km * 500).simplify(50)
        flood = gpd.GeoSeries([flood_m], crs=metric).to_crs(4326).iloc[0]
        inside = shapely.contains_xy(
            flood, [p.lon for p in net.points], [p.lat for p in net.points]
        )
        relocated = int(sum(p.population for p, a in zip(net.points, inside, strict=True) if a))
        if relocated > 0:
            break
    else:
        raise DataError(
            "no river stretch of this size has people living by it",
            field="severity",
            problem_zh="该等级洪水范围内无人口",
        )
    depth = round(float(sev.depth_m * rng.uniform(0.8, 1.2)), 1)
    ring = [
        (round(float(x), 5), round(float(y), 5)) for x, y in shapely.get_coordinates(flood.exterior)
    ]
    edges = area.roads.edges
    wet = edges[edges["bridge"].astype(bool) & edges.intersects(flood)]
    fails = [str(r) for r in sorted(wet["id"]) if rng.random() < sev.bridge_failure]
    dry = shapely.contains_xy(flood, [d.lon for d in net.depots], [d.lat for d in net.depots])
    lost = sorted(d.id for d, a in zip(net.depots, dry, strict=True) if a and depth >= 1.0)
    hour = int(rng.integers(0, 24))
    river = str(rivers.iloc[k].get("name") or rivers.iloc[k].get("id"))
    out: dict[str, Any] = {
        "name": f"{area.name}-{severity}-{seed}",
        "name_zh": f"{river}{severity_zh(severity)}洪水(生成,种子{seed})",
        "area": area.name,
        "description": (
            f"Generated ({severity}, seed {seed}): {stretch / 1000:.0f} km of {river} buffered "
            f"to {sev.width_km:g} km, {depth} m deep; synthetic, see scenarios/generate.py."
        ),
        "provenance": "synthetic",
        "report_time": dt.datetime(
            2024, 7, 30, hour, tzinfo=dt.timezone(dt.timedelta(hours=8))
        ).isoformat(),
        "response_level": response_level(relocated),
        "affected": [{"all_points": True, "in_flood": True, "share": 1.0}],
        "floods": [
            {
                "name": f"{river} ({severity})",
                "depth_m": depth,
                "polygon": [list(xy) for xy in ring],
                "provenance": "synthetic",
                "note": f"generated, seed {seed}",
            }
        ],
        "closures": [{"road": r, "note": "bridge failure (generated)"} for r in fails],
        "depots_lost": lost,
        "fleet": {"available_share": sev.fleet_share},
    }
    if injects:
        out["injects"] = generate_injects(area, out, seed, injects)
    return out


def generate_injects(area: Area, data: dict[str, Any], seed: int, n: int) -> list[dict[str, Any]]:
    """``n`` injects near the flood of generated scenario ``data`` (see the module docstring).

    Same inputs, same injects; fewer than ``n`` if the flood has nothing more near it.
    """
    if not 0 <= n <= 20:
        raise DataError("give 0 to 20 injects", field="injects", problem_zh="注入事件数须为0到20")
    rng = np.random.default_rng([seed, 1])  # a stream of its own: the scenario is unchanged
    metric = area.roads.metric_crs
    flood = shapely.Polygon(data["floods"][0]["polygon"])
    near = gpd.GeoSeries([flood], crs=4326).to_crs(metric).buffer(NEAR_KM * 1000).to_crs(4326)
    zone = near.iloc[0]
    net = area.network
    edges = area.roads.edges
    closed = {c.get("road") for c in data.get("closures", [])}
    by_water = edges[edges.intersects(zone) & ~edges["id"].astype(str).isin(closed)]
    roads = sorted(
        zip(
            ~by_water["bridge"].astype(bool),
            by_water["id"].astype(str),
            by_water["name"].astype(str),
            strict=True,
        ),
    )
    xy = shapely.points([p.lon for p in net.points], [p.lat for p in net.points])
    villages = [
        p
        for p, a, b in zip(net.points, zone.contains(xy), flood.contains(xy), strict=True)
        if a and not b and p.population > 0 and p.kind.value != "shelter"
    ]
    lost = set(data.get("depots_lost", []))
    dxy = shapely.points([d.lon for d in net.depots], [d.lat for d in net.depots])
    depots = [
        d for d, a in zip(net.depots, zone.contains(dxy), strict=True) if a and d.id not in lost
    ]
    out: list[dict[str, Any]] = []
    hours = np.sort(np.round(rng.uniform(*INJECT_HOURS, size=n) * 2) / 2)
    # Kinds in a random order, taken in turn, so a few injects are of different kinds.
    order = [str(k) for k in rng.permutation(["road", "people", "depot"])]
    pools: dict[str, list[Any]] = {"road": roads, "people": villages, "depot": depots}
    for done, h in enumerate(hours):
        kinds = [k for k in order[done % 3 :] + order[: done % 3] if pools[k]]
        if not kinds:
            break
        kind = kinds[0]
        if kind == "road":
            # Bridges first (they sort first), then any road by the water.
            pool = [r for r in roads if not r[0]] or roads
            pick = pool[int(rng.integers(len(pool)))]
            roads.remove(pick)
            _, rid, name = pick
            out.append(
                {
                    "at_h": float(h),
                    "label": f"{name}中断 / {name} cut",
                    "closures": [{"road": rid, "note": "generated inject"}],
                }
            )
        elif kind == "people":
            p = villages.pop(int(rng.integers(len(villages))))
            people = max(1, round(p.population * float(rng.uniform(0.2, 0.6))))
            out.append(
                {
                    "at_h": float(h),
                    "label": f"{p.name}新增转移{people}人 / {people:,} more people at {p.name}",
                    "add_people": [{"point": p.id, "people": people, "note": "generated inject"}],
                }
            )
        else:
            d = depots.pop(int(rng.integers(len(depots))))
            out.append(
                {
                    "at_h": float(h),
                    "label": f"{d.name}进水 / depot {d.id} flooded",
                    "depots_lost": [d.id],
                }
            )
    return out


def severity_zh(severity: str) -> str:
    """The severity's Chinese label."""
    return {"minor": "轻度", "moderate": "中度", "major": "重度", "extreme": "特大"}[severity]
