"""The ``relief`` command line.

Every command reads its input, calls ``scenarios``/``solver``/``geodata``, prints bilingual
rich tables and writes its outputs atomically. Bad input ends with a message naming the
file, record and field, in Chinese and English, and exit code 2; nothing is half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from service.cli_common import (
    AreaOpt,
    CrsOpt,
    DepotsOpt,
    LangOpt,
    PointsOpt,
    RoadsOpt,
    app,
    check_out_file,
    console,
    friendly,
)
from service.i18n import Lang, label, pick
from solver.defaults import WARN_SNAP_M, RoadClass, Tier
from solver.errors import DataError

if TYPE_CHECKING:
    from scenarios.model import Scenario
    from solver.network import Depot, Point


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Relief logistics optimizer 救灾物资保障优化."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


@app.command()
@friendly
def network(
    area: AreaOpt = "hengshui",
    crs: CrsOpt = None,
    roads: RoadsOpt = None,
    depots: DepotsOpt = None,
    points: PointsOpt = None,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """Summarise an area: road graph, depots by tier, people, stock, data provenance."""
    from geodata.area import load_area, summary

    a = load_area(area, crs=crs, roads=roads, depots=depots, points=points)
    # Snap now so a place far from every road is reported here, not in a later command.
    _ = a.depot_snap, a.point_snap
    s = summary(a)
    t = Table(title=f"{label('network', lang)}: {s['area']}")
    t.add_column(label("layer", lang))
    t.add_column(label("value", lang), justify="right")
    t.add_row(label("nodes", lang), f"{s['nodes']:,}")
    t.add_row(label("edges", lang), f"{s['edges']:,}")
    t.add_row(label("road_km", lang), f"{s['road_km']:,.0f}")
    t.add_row(label("points", lang), f"{s['points']:,}")
    t.add_row(label("people", lang), f"{s['people']:,}")
    t.add_row(label("shelters", lang), f"{s['shelters']:,}")
    t.add_row(label("shelter_capacity", lang), f"{s['shelter_capacity']:,}")
    t.add_row(label("staging", lang), f"{s['staging']:,}")
    for key, snap in (("snap_depots", a.depot_snap), ("snap_points", a.point_snap)):
        if len(snap.distance_m):
            far = int((snap.distance_m > WARN_SNAP_M).sum())
            t.add_row(
                label(key, lang),
                f"{snap.distance_m.mean():,.0f} / "
                f"{snap.distance_m.max():,.0f} m"
                + (f" ({far} > {WARN_SNAP_M:,.0f} m)" if far else ""),
            )
    console.print(t)

    t = Table(title=label("edges", lang))
    t.add_column(label("road_class", lang))
    t.add_column(label("count", lang), justify="right")
    by_class: dict[str, int] = s["edges_by_class"]  # type: ignore[assignment]
    for cls in RoadClass:
        if cls.value in by_class:
            t.add_row(pick(cls.zh, cls.value, lang), f"{by_class[cls.value]:,}")
    console.print(t)

    t = Table(title=label("depots", lang))
    t.add_column(label("tier", lang))
    t.add_column(label("count", lang), justify="right")
    tiers: dict[str, int] = s["depots_by_tier"]  # type: ignore[assignment]
    for tier in Tier:
        if tier.value in tiers:
            t.add_row(pick(tier.zh, tier.value, lang), str(tiers[tier.value]))
    console.print(t)

    t = Table(title=label("stock", lang))
    for key in ("need_group", "units", "tonnes", "m3"):
        t.add_column(label(key, lang), justify="left" if key == "need_group" else "right")
    groups: dict[str, dict[str, float]] = s["stock_by_group"]  # type: ignore[assignment]
    zh_group = {"clothing": "衣", "food": "食", "shelter": "住", "medical": "医"}
    for g, v in groups.items():
        t.add_row(
            pick(zh_group[g], g, lang),
            f"{v['units']:,.0f}",
            f"{v['tonnes']:,.1f}",
            f"{v['m3']:,.0f}",
        )
    console.print(t)

    t = Table(title=label("vehicles", lang))
    t.add_column(label("vehicle_class", lang))
    t.add_column(label("count", lang), justify="right")
    vehicles: dict[str, int] = s["vehicles"]  # type: ignore[assignment]
    for cls_id, n in sorted(vehicles.items()):
        vc = a.network.vehicle_class(cls_id)
        t.add_row(pick(vc.name_zh, vc.name_en, lang), str(n))
    console.print(t)

    t = Table(title=label("provenance", lang))
    t.add_column(label("layer", lang))
    for key in ("real", "proxy", "synthetic"):
        t.add_column(label(key, lang), justify="right")
    prov: dict[str, dict[str, int]] = s["provenance"]  # type: ignore[assignment]
    for layer, counts in prov.items():
        t.add_row(layer, *(f"{counts[k]:,}" for k in ("real", "proxy", "synthetic")))
    console.print(t)


@app.command()
@friendly
def matrix(
    out: Annotated[
        Path,
        typer.Option(
            help="CSV file to write (depots as rows, points as "
            "columns, seconds; unreachable cells empty)."
        ),
    ],
    area: AreaOpt = "hengshui",
    flood: Annotated[
        list[Path] | None,
        typer.Option(
            help="Flood polygons (GeoJSON/GeoPackage/Shapefile), optional depth_m; repeatable."
        ),
    ] = None,
    barrier: Annotated[
        list[Path] | None, typer.Option(help="Point (failed bridge) or line barriers; repeatable.")
    ] = None,
    vehicle: Annotated[
        str, typer.Option(help="Vehicle class id (light, medium, large, heavy, or the area's own).")
    ] = "medium",
    long: Annotated[bool, typer.Option("--long", help="One row per depot-point pair.")] = False,
    crs: CrsOpt = None,
    roads: RoadsOpt = None,
    depots: DepotsOpt = None,
    points: PointsOpt = None,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """Write the depot x point travel-time table in seconds for one vehicle class."""
    import numpy as np

    from geodata.area import load_area
    from geodata.flood import water_text
    from geodata.io import write_atomic
    from geodata.matrix import build_hazards, matrix_frame, travel_time_matrix
    from solver.traveltime import edge_seconds

    check_out_file(out)
    a = load_area(area, crs=crs, roads=roads, depots=depots, points=points)
    hazards = build_hazards(a, floods=flood or [], barriers=barrier or [], crs=crs)
    m = travel_time_matrix(a, vehicle=vehicle, hazards=hazards)
    frame = matrix_frame(m, long=long)
    write_atomic(out, lambda tmp: frame.to_csv(tmp, index=not long, encoding="utf-8"))
    vclass = a.network.vehicle_class(vehicle)
    closed = int(np.isinf(edge_seconds(a.roads.graph, vclass, hazards.conditions)).sum())
    hours = m.hours()
    t = Table(title=f"{label('matrix_written', lang)}: {out}")
    t.add_column(label("layer", lang))
    t.add_column(label("value", lang), justify="right")
    t.add_row(label("vehicle_class", lang), pick(vclass.name_zh, vclass.name_en, lang))
    t.add_row(label("depots", lang), str(len(m.origin_ids)))
    t.add_row(label("points", lang), str(len(m.target_ids)))
    t.add_row(
        label("flooded_edges", lang), str(int((hazards.conditions.flooded_fraction > 0).sum()))
    )
    t.add_row(label("closed_edges", lang), str(closed))
    t.add_row(label("unreachable_pairs", lang), f"{int((~m.reachable).sum()):,}")
    t.add_row(
        label("max_hours", lang), f"{np.nanmax(hours):.2f}" if np.isfinite(hours).any() else "—"
    )
    groups: tuple[tuple[str, Sequence[Depot | Point]], ...] = (
        ("flooded_depots", a.network.depots),
        ("flooded_shelters", [p for p in a.network.points if p.capacity is not None]),
    )
    for key, places in groups:
        depth = hazards.depth_at([p.lon for p in places], [p.lat for p in places])
        wet = [f"{p.id} ({water_text(d)})" for p, d in zip(places, depth, strict=True) if d > 0]
        if wet:
            t.add_row(
                label(key, lang),
                f"{len(wet)}: " + ", ".join(wet[:5]) + (" …" if len(wet) > 5 else ""),
            )
    console.print(t)


def _default_scenario(area: str, flood: list[Path]) -> tuple[Scenario, Path]:
    """The scenario used when none is given: people in the flood, or the area's example."""
    from scenarios.model import LIBRARY, load_scenario, scenario_from_dict

    if flood:
        data = {
            "name": "flood-only",
            "name_zh": "仅洪水范围",
            "area": area,
            "description": "everyone living inside the given flood polygons is relocated",
            "affected": [{"all_points": True, "in_flood": True, "share": 1.0}],
        }
        return scenario_from_dict(data, source="--flood"), Path(".")
    example = LIBRARY / f"{Path(area).stem}-example.yaml"
    if example.exists():
        return load_scenario(example)
    raise DataError(
        "give --scenario FILE or --flood FILE (no example scenario for this area)",
        field="scenario",
        problem_zh="请提供 --scenario 或 --flood",
    )


def resolve_scenario(
    scenario: Path | None, area: str | None, flood: list[Path]
) -> tuple[Scenario, Path, str]:
    """The scenario, its folder and the area to load, from --scenario/--area/--flood."""
    from scenarios.model import load_scenario

    if scenario is not None:
        sc, folder = load_scenario(scenario)
        return sc, folder, area or sc.area
    name = area or "hengshui"
    sc, folder = _default_scenario(name, flood)
    return sc, folder, name


# Commands defined in their own modules register on the same app.
from service import (  # noqa: E402, F401
    cli_check,
    cli_dispatch,
    cli_drill,
    cli_exercise,
    cli_scenario,
    cli_serve,
    cli_site,
    cli_sweep,
)

if __name__ == "__main__":
    app()
