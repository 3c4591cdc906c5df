"""``relief check``: the 10/12-hour relief check, its tables, map and files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from service.cli import resolve_scenario
from service.cli_common import CrsOpt, LangOpt, app, check_out_dir, console, friendly
from service.i18n import BINDING, PINCH_UNITS, Lang, both_figures, label, pick, reason_text
from service.report_summary import note_text, point_label, roads_text
from solver.errors import DataError


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
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the summary to PDF (needs Chromium).")
    ] = False,
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
    import geopandas as gpd

    from geodata.area import load_area
    from geodata.io import write_atomic, write_json
    from scenarios.apply import apply_scenario
    from scenarios.check import run_check
    from scenarios.dispatch import DispatchRequest, plan_dispatch
    from service.atlas_page import atlas_geo, write_atlas
    from service.maps import relief_map
    from service.maps_parts import when_text
    from service.papers_places import directory_from_area
    from service.report_page import write_summary

    sc, folder, area_name = resolve_scenario(scenario, area, flood or [])
    a = load_area(area_name, crs=crs)
    with console.status(pick("正在求解…", "solving…", lang)):
        situation = apply_scenario(a, sc, folder=folder, extra_floods=flood or [], crs=crs)
        report = run_check(situation, targets_h=tuple(target) if target else None)
    plan = None
    if plan_seconds > 0:
        with console.status(pick("正在编制调度计划…", "making a dispatch plan…", lang)):
            plan = plan_dispatch(
                situation,
                DispatchRequest(
                    time_limit_s=plan_seconds,
                    seed=seed,
                    targets_h=tuple(target) if target else None,
                ),
                folder=folder,
                report=report,
            ).plan
    doc = report.to_json(plan)
    frame = report.points_frame(plan)
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
    write_json(out / "report.json", doc)
    write_atomic(
        out / "points.geojson", lambda tmp: frame.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    )
    relief_map(
        out / "map.png",
        title=title,
        boundaries=a.boundaries,
        depots=depots,
        points=frame.assign(label=[point_label(p, lang) for p in doc["points"]]),
        flood=situation.flood,
        lang=lang,
        roads=a.roads.edges,
        rivers=a.rivers,
        when=when_text(str(doc["scenario"].get("report_time") or ""), lang),
        source=a.path.name,
    )
    net = situation.network
    names = {**{d.id: d.name for d in net.depots}, **{q.id: q.name for q in net.points}}
    summary = write_summary(
        doc, out, lang, names=names, map_path=out / "map.png", source=a.path.name
    )
    roads = directory_from_area(a, net).roads
    geo = atlas_geo(a, doc, roads=roads, flood=situation.flood, network=net)
    atlas = write_atlas(doc, out, lang, geo=geo, names=names, source=a.path.name)
    _print_check(doc, lang, show)
    console.print(
        f"{label('outputs', lang)}: {out / 'report.json'}, {out / 'points.geojson'}, "
        f"{out / 'map.png'}",
        highlight=False,
    )
    summary_text, atlas_text = str(summary), str(atlas)
    if pdf:
        from service.papers_pdf import pages_to_pdf

        printed = pages_to_pdf([summary, atlas])
        if printed is not None:
            done = {p.with_suffix(".html"): p for p in printed}
            summary_text = ", ".join(str(p) for p in (summary, done.get(summary)) if p)
            atlas_text = ", ".join(str(p) for p in (atlas, done.get(atlas)) if p)
        else:
            console.print(
                pick("未找到 Chromium,未生成 PDF", "no Chromium found: no PDF written", lang),
                highlight=False,
            )
    console.print(
        f"{pick('县域图册(每县一页)', 'County atlas (a page per county)', lang)}: {atlas_text}",
        highlight=False,
    )
    console.print(
        f"{pick('核查摘要(可打印)', 'Summary page (printable)', lang)}: {summary_text}",
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
        console.print(f"[yellow]{escape(note_text(note, lang))}[/]", highlight=False)
    if len(doc["notes"]) > MAX_NOTES:
        more = len(doc["notes"]) - MAX_NOTES
        console.print(f"… {more} {label('more', lang)} (report.json: notes)", highlight=False)
    planned = any("plan_share_met" in row for row in doc["targets"])
    t = Table(title=label("check", lang))
    t.add_column(label("target", lang), justify="right")
    if planned:
        t.add_column(label("plan_meets", lang), justify="right")
    t.add_column(label("bound_at_most", lang), justify="right")
    not_met = (
        pick("未满足人数 计划/任何计划", "not met: plan / any plan", lang)
        if planned
        else pick("未满足人数", "not met", lang)
    )
    t.add_column(not_met, justify="right")
    if planned:
        t.add_column(label("gap", lang), justify="right")
    t.add_column(label("binding", lang))
    for row in doc["targets"]:
        cells = [f"{row['hours']:g}"]
        if planned:
            cells.append(f"{row['plan_people_met']:,} ({row['plan_share_met']:.1%})")
        cells.append(f"{row['people_met']:,} ({row['share_met']:.1%})")
        short = row["people_total"] - row["people_met"]
        if planned:
            cells.append(f"{row['people_total'] - row['plan_people_met']:,} / {short:,}")
        else:
            cells.append(f"{short:,}")
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
    _print_shelter_counties(doc, lang, planned)
    _print_late(doc, lang, show, planned)
    everyone = doc["everyone_met_h"]
    console.print(
        f"{label('everyone_met', lang)}: {'—' if everyone is None else f'{everyone:.1f}'}",
        highlight=False,
    )
    if doc["never_met"]:
        parts = [f"{reason_text(k, lang)} {v:,}" for k, v in doc["never_met"].items()]
        console.print(f"{label('never', lang)}: " + "; ".join(parts), highlight=False)


def _print_shelter_counties(doc: dict[str, Any], lang: Lang, planned: bool) -> None:
    """People by the county of the place where they are met (the summary page's second view)."""
    from service.report_summary import build_summary

    hours = doc["targets"][0]["hours"]
    t = Table(title=f"{pick('按安置点所在县', 'By shelter county', lang)} · {hours:g} h")
    keys = ["county", "people"]
    keys += ["plan_people_met", "bound_allocation"] if planned else ["people_met"]
    for key in keys:
        t.add_column(label(key, lang), justify="left" if key == "county" else "right")
    for row in build_summary(doc).by_shelter_county:
        cells = [row.county, f"{row.people:,}"]
        if planned and row.plan_met is not None:
            cells.append(f"{row.plan_met:,} ({row.plan_met / max(row.people, 1):.1%})")
        cells.append(f"{row.bound_met:,} ({row.bound_met / max(row.people, 1):.1%})")
        t.add_row(*cells)
    console.print(t)


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
    t.add_column(label("point", lang))
    t.add_column(pick("所在县(市、区)", "County of the place", lang))
    t.add_column(label("people", lang), justify="right")
    targets = [row["hours"] for row in doc["targets"]]
    for h in targets:  # people not met by each target: by the plan / in the bound's allocation
        both = planned
        t.add_column(
            pick(
                f"{h:g} 小时未满足" + (" 计划/上界方案" if both else ""),
                f"not met by {h:g} h" + (": plan / bound's allocation" if both else ""),
                lang,
            ),
            justify="right",
        )
    keys += [f"t{h:g}" for h in targets] + ["hours_to_met", "reason"]
    for key in ("hours_to_met", "reason"):
        t.add_column(label(key, lang), justify="left" if key == "reason" else "right")
    for p in late[:show]:
        cells = [f"{p['name']} {p['id']}", p["county"], f"{p['people']:,}"]
        for b in p["by_target"]:
            short = f"{p['people'] - b['people_met']:,}"
            if planned:
                short = f"{p['people'] - b.get('plan_people_met', 0):,} / {short}"
            cells.append(short)
        cells.append("—" if p["hours_to_met"] is None else f"{p['hours_to_met']:.1f}")
        if p["status"] != "met":
            why = reason_text(p["reason"], lang, p["reason_item"], p["reason_quantity"])
        else:
            why = reason_text("plan_schedule", lang)
        if p.get("roads"):
            why += f" · {roads_text(p['roads'], lang)}"
        cells.append(why)
        t.add_row(*cells)
    if len(late) > show:
        t.add_row(f"… {len(late) - show} {label('more', lang)}", *[""] * (len(keys) - 1))
    console.print(t)
