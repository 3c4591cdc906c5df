"""The ``relief`` command line.

Every command reads its input, calls ``scenarios``/``solver``/``geodata``, prints bilingual
rich tables and writes its outputs atomically. Bad input ends with a message naming the
file, record and field, in Chinese and English, and exit code 2; nothing is half-written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import typer
from rich.table import Table

from geodata.area import load_area, summary
from geodata.flood import water_text
from geodata.io import write_atomic
from geodata.matrix import build_hazards, matrix_frame, travel_time_matrix
from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.dispatch import DispatchRequest, plan_dispatch
from scenarios.model import LIBRARY, Scenario, load_scenario, scenario_from_dict
from service.cli_common import (
    AreaOpt,
    CrsOpt,
    DepotsOpt,
    LangOpt,
    PointsOpt,
    RoadsOpt,
    app,
    check_out_dir,
    check_out_file,
    console,
    friendly,
)
from service.i18n import BINDING, PINCH_UNITS, Lang, both_figures, label, pick, reason_text
from service.maps import relief_map
from solver.defaults import WARN_SNAP_M, RoadClass, Tier
from solver.errors import DataError
from solver.network import Depot, Point
from solver.traveltime import edge_seconds


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
    if scenario is not None:
        sc, folder = load_scenario(scenario)
        return sc, folder, area or sc.area
    name = area or "hengshui"
    sc, folder = _default_scenario(name, flood)
    return sc, folder, name


@app.command()
@friendly
def check(
    out: Annotated[Path, typer.Option(help="Folder for report.json, points.geojson, map.png.")],
    area: Annotated[
        str | None,
        typer.Option(
            help="Bundled area or GeoPackage; default: the scenario's area (else hengshui)."
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="Scenario YAML (scenarios/README.md); default: the area's example scenario."
        ),
    ] = None,
    flood: Annotated[
        list[Path] | None, typer.Option(help="Extra flood polygons (optional depth_m); repeatable.")
    ] = None,
    target: Annotated[
        list[float] | None,
        typer.Option(help="Target hours (repeatable); default: the scenario's (10 and 12)."),
    ] = None,
    plan_seconds: Annotated[
        float,
        typer.Option(
            "--plan-seconds",
            help="Search time for the dispatch plan made beside the bound; 0: the bound only.",
        ),
    ] = 10.0,
    seed: Annotated[
        int, typer.Option(help="Seed of the plan's search (same seed, same plan).")
    ] = 1,
    crs: CrsOpt = None,
    lang: LangOpt = Lang.BOTH,
    show: Annotated[int, typer.Option(help="Late points to list in the terminal.")] = 15,
) -> None:
    """The 10/12-hour relief check: are basic needs (衣食住医) met in time, and if not, why.

    Two figures per target: what a printable dispatch plan meets, and the bound no plan
    obeying the same rules can beat; the gap between them, and what binds.
    """
    check_out_dir(out)
    if not (0 <= plan_seconds <= 3600):
        raise DataError(
            f"must be between 0 and 3600 seconds, got {plan_seconds}",
            field="--plan-seconds",
            problem_zh="计划求解时间须在0到3600秒之间",
        )
    for t in target or []:
        if not (t > 0 and t < 1e6):
            raise DataError(
                f"must be a positive number of hours, got {t}",
                field="--target",
                problem_zh="时限须为正的小时数",
            )
    sc, folder, area_name = resolve_scenario(scenario, area, flood or [])
    a = load_area(area_name, crs=crs)
    with console.status(pick("正在求解…", "solving…", lang)):
        situation = apply_scenario(a, sc, folder=folder, extra_floods=flood or [], crs=crs)
        report = run_check(situation, targets_h=tuple(target) if target else None)
    plan_doc = None
    if plan_seconds > 0:
        with console.status(pick("正在编制调度计划…", "making a dispatch plan…", lang)):
            plan_doc = plan_dispatch(
                situation,
                DispatchRequest(
                    time_limit_s=plan_seconds,
                    seed=seed,
                    targets_h=tuple(target) if target else None,
                ),
                folder=folder,
                report=report,
            ).doc
    doc = report.to_json(plan_doc)
    frame = report.points_frame(plan_doc)
    depots = gpd.GeoDataFrame(
        {
            "id": [d.id for d in situation.network.depots],
            "tier": [d.tier.value for d in situation.network.depots],
        },
        geometry=gpd.points_from_xy(
            [d.lon for d in situation.network.depots], [d.lat for d in situation.network.depots]
        ),
        crs=4326,
    )
    title = (
        pick(sc.name_zh or sc.name, sc.name, lang) + "\n" + both_figures(doc["targets"][0], lang)
    )
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(
        out / "report.json",
        lambda tmp: tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8"),
    )
    write_atomic(
        out / "points.geojson", lambda tmp: frame.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    )
    relief_map(
        out / "map.png",
        title=title,
        boundaries=a.boundaries,
        depots=depots,
        points=frame,
        flood=situation.flood,
        lang=lang,
    )
    _print_check(doc, lang, show)
    console.print(
        f"{label('outputs', lang)}: {out / 'report.json'}, {out / 'points.geojson'}, "
        f"{out / 'map.png'}",
        highlight=False,
    )


#: Notes (depots or shelters in water, idle stock) printed before the check's tables.
MAX_NOTES = 8


def _print_check(doc: dict[str, Any], lang: Lang, show: int) -> None:
    sc = doc["scenario"]
    console.print(
        f"[bold]{label('check', lang)}[/]: {sc['name_zh'] or sc['name']} "
        f"({sc['area']}, {sc['provenance']})",
        highlight=False,
    )
    console.print(
        f"{label('affected', lang)}: {doc['people_affected']:,}  "
        f"{label('sheltered', lang)}: {doc['people_sheltered']:,}  "
        f"{label('no_shelter_place', lang)}: {doc['people_without_shelter_place']:,}",
        highlight=False,
    )
    for note in doc["notes"][:MAX_NOTES]:
        console.print(f"[yellow]{note}[/]", highlight=False)
    if len(doc["notes"]) > MAX_NOTES:
        more = len(doc["notes"]) - MAX_NOTES
        console.print(f"… {more} {label('more', lang)} (report.json: notes)", highlight=False)
    planned = any("plan_share_met" in row for row in doc["targets"])
    t = Table(title=label("check", lang))
    t.add_column(label("target", lang), justify="right")
    if planned:
        t.add_column(label("plan_meets", lang), justify="right")
    t.add_column(label("bound_at_most", lang), justify="right")
    if planned:
        t.add_column(label("gap", lang), justify="right")
    t.add_column(label("binding", lang))
    for row in doc["targets"]:
        cells = [f"{row['hours']:g}"]
        if planned:
            cells.append(f"{row['plan_people_met']:,} ({row['plan_share_met']:.1%})")
        cells.append(f"{row['people_met']:,} ({row['share_met']:.1%})")
        if planned:
            cells.append(f"{row['gap_points']:.1f}")
        zh, en = BINDING.get(row["binding"], (row["binding"], row["binding"]))
        cells.append(pick(zh, en, lang))
        t.add_row(*cells)
    console.print(t)
    for row in doc["targets"]:
        console.print(both_figures(row, lang), highlight=False)
    first = doc["targets"][0]
    limits = {k: v for k, v in first.get("limits", {}).items() if v > 0}
    if limits:
        console.print(
            f"{label('limits', lang)} ({first['hours']:g} h): "
            + "; ".join(
                f"{pick(BINDING.get(k, (k, k))[0], BINDING.get(k, (k, k))[1], lang)} {v:,}"
                for k, v in sorted(limits.items(), key=lambda kv: -kv[1])
            ),
            highlight=False,
        )
    for p in first.get("pinches", [])[:5]:
        unit_zh, unit_en = PINCH_UNITS.get(p["family"], ("", ""))
        fam_zh, fam_en = BINDING.get(p["family"], (p["family"], p["family"]))
        when = (
            (p["what"], p["what"])
            if p["family"] == "stock"
            else (f"至 {p['what']} 时", f"by {p['what']} h")
        )
        console.print(
            f"  {pick(fam_zh, fam_en, lang)} {p['depot']} {pick(when[0], when[1], lang)}: "
            f"{p['people_per_unit']:.3g} {pick(unit_zh, unit_en, lang)}",
            highlight=False,
        )
    t = Table(title=f"{label('county_of_origin', lang)} · {first['hours']:g} h")
    keys = ["county_of_origin", "people"]
    keys += ["plan_people_met", "bound_allocation"] if planned else ["people_met"]
    for key in keys:
        t.add_column(label(key, lang), justify="left" if key == "county_of_origin" else "right")
    for row in first["by_county"]:
        cells = [row["county"], f"{row['people']:,}"]
        if planned:
            cells.append(f"{row['plan_people_met']:,} ({row['plan_share_met']:.1%})")
        cells.append(f"{row['people_met']:,} ({row['share_met']:.1%})")
        t.add_row(*cells)
    console.print(t)
    _print_late(doc, lang, show, planned)
    everyone = doc["everyone_met_h"]
    console.print(
        f"{label('everyone_met', lang)}: {'—' if everyone is None else f'{everyone:.1f}'}",
        highlight=False,
    )
    if doc["never_met"]:
        parts = [f"{reason_text(k, lang)} {v:,}" for k, v in doc["never_met"].items()]
        console.print(f"{label('never', lang)}: " + "; ".join(parts), highlight=False)


def _print_late(doc: dict[str, Any], lang: Lang, show: int, planned: bool) -> None:
    """Points not met by the first target: by the plan (when there is one) or the bound.

    Where the bound meets a point the plan does not, the reason is the plan's order.
    """
    hours = doc["targets"][0]["hours"]

    def first(p: dict[str, Any]) -> dict[str, Any]:
        return next(b for b in p["by_target"] if b["hours"] == hours)

    def late_in_plan(p: dict[str, Any]) -> bool:
        return bool(first(p).get("plan_people_met", p["people"]) < p["people"])

    late = [p for p in doc["points"] if p["status"] != "met" or (planned and late_in_plan(p))]
    late.sort(key=lambda p: (-(p["people"] - first(p).get("plan_people_met", 0)), p["id"]))
    if not late:
        return
    t = Table(title=f"{label('late_points', lang)} · {hours:g} h ({len(late)})")
    keys = ["point", "county", "people"]
    keys += ["plan_people_met", "bound_allocation"] if planned else ["people_met"]
    keys += ["hours_to_met", "reason"]
    for key in keys:
        t.add_column(
            label(key, lang), justify="left" if key in ("point", "county", "reason") else "right"
        )
    for p in late[:show]:
        row = first(p)
        cells = [f"{p['name']} {p['id']}", p["county"], f"{p['people']:,}"]
        if planned:
            cells.append(f"{row.get('plan_people_met', 0):,}")
        cells.append(f"{row['people_met']:,}")
        cells.append("—" if p["hours_to_met"] is None else f"{p['hours_to_met']:.1f}")
        if p["status"] != "met":
            why = reason_text(p["reason"], lang, p["reason_item"], p["reason_quantity"])
        else:
            why = reason_text("plan_schedule", lang)
        cells.append(why)
        t.add_row(*cells)
    if len(late) > show:
        t.add_row(f"… {len(late) - show} {label('more', lang)}", *[""] * (len(keys) - 1))
    console.print(t)


# Commands defined in their own modules register on the same app.
from service import (  # noqa: E402, F401
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
