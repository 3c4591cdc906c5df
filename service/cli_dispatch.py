"""``relief dispatch`` and ``relief redispatch``: who carries what, where and when."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.cli import resolve_scenario
from service.cli_common import CrsOpt, LangOpt, app, console, friendly
from service.i18n import Lang, both_figures, pick
from solver.errors import DataError

if TYPE_CHECKING:
    from scenarios.apply import Situation
    from scenarios.dispatch import DispatchPlan
    from scenarios.model import Affected, Closure
    from scenarios.plan import Plan

STAGES = {
    "check": ("救灾保障核查(上限)", "relief check (the bound)"),
    "network": ("读取路网与情景", "loading roads and scenario"),
    "allocation": ("分配库存", "allocating stock"),
    "scheduling": ("编排车辆与装车", "scheduling trucks and loading"),
    "document": ("整理调度计划", "writing the plan"),
}

TimeLimitOpt = Annotated[
    float,
    typer.Option(
        "--time-limit",
        help="Search effort in seconds (grasp: one randomised run per second; cp-sat: its "
        "deterministic clock).",
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed: same seed, same limit, same plan.")]
EngineOpt = Annotated[
    str,
    typer.Option(
        help="grasp (default: greedy plans, then randomised runs, best kept), greedy, or "
        "cp-sat (greedy, then CP-SAT from the best)."
    ),
]


@contextmanager
def _progress(lang: Lang, time_limit: float) -> Iterator[Any]:
    """A spinner with the current stage and the elapsed time; yields the callback."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(pick("准备中", "preparing", lang), total=None)

        def say(stage: str, _fraction: float) -> None:
            zh, en = STAGES.get(stage, (stage, stage))
            extra = f" (≈ {time_limit:g} s)" if stage == "scheduling" else ""
            bar.update(task, description=pick(zh, en, lang) + extra)

        yield say


@app.command()
@friendly
def dispatch(
    out: Annotated[
        Path,
        typer.Option(help="Folder for plan.json, routes.geojson, sheets and map.png."),
    ],
    area: Annotated[
        str | None,
        typer.Option(help="Bundled area or GeoPackage; default: the scenario's (else hengshui)."),
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario YAML; default: the area's example scenario.")
    ] = None,
    flood: Annotated[list[Path] | None, typer.Option(help="Extra flood polygons.")] = None,
    time_limit: TimeLimitOpt = 30.0,
    seed: SeedOpt = 1,
    engine: EngineOpt = "grasp",
    hard_deadline: Annotated[
        bool,
        typer.Option(
            "--hard-deadline/--soft-deadline",
            help="Send only what arrives by the first target (default: late goods are still "
            "sent, after what is on time).",
        ),
    ] = False,
    target: Annotated[
        list[float] | None, typer.Option(help="Target hours (repeatable); default 10 and 12.")
    ] = None,
    trips: Annotated[int, typer.Option(help="Trips per vehicle and shift.")] = 4,
    shift_h: Annotated[float, typer.Option(help="Crew shift in hours.")] = 12.0,
    load_share: Annotated[
        float,
        typer.Option(
            help="Cut truckloads to this share of a truck's payload and volume (0.5: half "
            "loads, each loaded sooner; more trips)."
        ),
    ] = 1.0,
    receiving: Annotated[
        list[str] | None,
        typer.Option(
            help="Shelter receiving hours POINT=OPENS-CLOSES (hours after the report), "
            "e.g. S-131102-1=6-20; repeatable."
        ),
    ] = None,
    crs: CrsOpt = None,
    lang: LangOpt = Lang.BOTH,
    show: Annotated[int, typer.Option(help="Late stops to list in the terminal.")] = 10,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the papers to PDF (needs Chromium).")
    ] = False,
) -> None:
    """Plan relief deliveries: vehicle, load, depot, shelter, departure and arrival (调度)."""
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.dispatch import DispatchRequest, plan_dispatch

    req = DispatchRequest(
        time_limit_s=time_limit,
        seed=seed,
        engine=engine,
        hard_deadline=hard_deadline,
        targets_h=tuple(target) if target else None,
        trips=trips,
        shift_h=shift_h,
        load_share=load_share,
        receiving=_parse_receiving(receiving or []),
    )
    sc, folder, area_name = resolve_scenario(scenario, area, flood or [])
    with _progress(lang, time_limit) as say:
        say("network", 0.0)
        a = load_area(area_name, crs=crs)
        situation = apply_scenario(a, sc, folder=folder, extra_floods=flood or [], crs=crs)
        plan = plan_dispatch(situation, req, folder=folder, progress=say)
    made = write_outputs(situation, plan, out, lang)
    print_plan(made, lang, show)
    _print_outputs(out, lang)
    if pdf:
        _print_pdfs(out, lang)


def _print_pdfs(out: Path, lang: Lang) -> None:
    """Print the papers to PDF beside the HTML, or say why not."""
    from service.papers_pdf import pages_to_pdf

    pdfs = pages_to_pdf([out / n for n in ("sheets.html", "loading.html", "receipts.html")])
    if pdfs is None:
        console.print(
            pick(
                "未找到 Chromium,未生成 PDF;可在浏览器中打开 HTML 打印",
                "no Chromium found: no PDF written; open the HTML in a browser and print",
                lang,
            ),
            highlight=False,
        )
        return
    console.print("PDF: " + ", ".join(str(p) for p in pdfs), highlight=False)


def _parse_receiving(values: list[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for v in values:
        try:
            pid, hours = v.rsplit("=", 1)
            a, b = (float(x) for x in hours.split("-"))
        except ValueError:
            raise DataError(
                f"use POINT=OPENS-CLOSES in hours, got {v!r}",
                field="--receiving",
                problem_zh="格式应为 地点=开始-结束(小时)",
            ) from None
        out[pid] = (a, b)
    return out


def _parse_people(values: list[str]) -> list[Affected]:
    from scenarios.model import Affected

    out = []
    for v in values:
        try:
            pid, n = v.rsplit("=", 1)
            out.append(Affected(point=pid, people=int(n), note="reported at re-dispatch"))
        except ValueError:
            raise DataError(
                f"use POINT=PEOPLE (a whole number >= 0), got {v!r}",
                field="--add-people",
                problem_zh="格式应为 地点=人数",
            ) from None
    return out


def _parse_at(values: list[str]) -> list[Closure]:
    from scenarios.model import Closure

    out = []
    for v in values:
        try:
            lon, lat = (float(x) for x in v.split(","))
            out.append(Closure(at=(lon, lat)))
        except ValueError:
            raise DataError(
                f"use LON,LAT in WGS84 degrees, got {v!r}",
                field="--close-at",
                problem_zh="格式应为 经度,纬度",
            ) from None
    return out


@app.command(name="redispatch")
@friendly
def redispatch_cmd(
    plan: Annotated[Path, typer.Option(help="plan.json from relief dispatch (or redispatch).")],
    at: Annotated[float, typer.Option(help="Hour after the report when the roads close.")],
    out: Annotated[Path, typer.Option(help="Folder for the new plan (not the old plan's).")],
    closure: Annotated[
        list[Path] | None,
        typer.Option(help="Closures file: YAML/JSON list or GeoJSON points/lines; repeatable."),
    ] = None,
    close_name: Annotated[
        list[str] | None, typer.Option(help="Close roads or bridges named like this; repeatable.")
    ] = None,
    close_road: Annotated[list[str] | None, typer.Option(help="Close a road by id.")] = None,
    close_at: Annotated[
        list[str] | None, typer.Option(help="Close the road nearest LON,LAT; repeatable.")
    ] = None,
    add_people: Annotated[
        list[str] | None,
        typer.Option(help="New affected people reported, POINT=N; repeatable (new demand)."),
    ] = None,
    depot_lost: Annotated[
        list[str] | None,
        typer.Option(
            help="A depot flooded at --at (its stock and parked trucks lost); repeatable."
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="Refuse the plan unless it was made for this scenario file."),
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="Area, if not the plan's bundled one (a GeoPackage).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds; default: the old plan's.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; default: the old plan's.")] = None,
    lang: LangOpt = Lang.BOTH,
    show: Annotated[int, typer.Option(help="Late stops to list in the terminal.")] = 10,
) -> None:
    """Re-plan from a plan at an hour after roads close, people are added or depots are lost.

    Delivered and driven legs stay.
    """
    from scenarios.dispatch import DispatchRequest
    from scenarios.dispatch_doc import read_plan
    from scenarios.model import Closure, load_scenario
    from scenarios.redispatch import load_closures, redispatch

    if out.resolve() == plan.resolve().parent:
        raise DataError(
            "write the new plan to another folder; the old plan is kept as it is",
            field="--out",
            problem_zh="新计划须写入另一文件夹,原计划保持不变",
        )
    old = read_plan(plan)
    closures = [c for f in closure or [] for c in load_closures(f)]
    closures += [Closure(name=n) for n in close_name or []]
    closures += [Closure(road=r) for r in close_road or []]
    closures += _parse_at(close_at or [])
    expect = load_scenario(scenario)[0] if scenario else None
    req = old.request
    changes: dict[str, Any] = {}
    if time_limit is not None:
        changes["time_limit_s"] = time_limit
    if seed is not None:
        changes["seed"] = seed
    if changes:
        req = DispatchRequest(**{**req.__dict__, **changes})
    with _progress(lang, req.time_limit_s) as say:
        new = redispatch(
            old,
            at,
            closures,
            req,
            area=area,
            expect=expect,
            progress=say,
            added=_parse_people(add_people or []),
            depots_lost=depot_lost or (),
        )
    assert new.situation is not None
    made = write_outputs(new.situation, new, out, lang)
    print_plan(made, lang, show)
    _print_outputs(out, lang)


def write_outputs(situation: Situation, plan: DispatchPlan, out: Path, lang: Lang) -> Plan:
    """plan.json, routes.geojson, sheets.csv/.xlsx, the papers (.html) and map.png in ``out``.

    Returns the plan as written (with its distances and each stop's roads).
    """
    import geopandas as gpd

    from geodata.io import write_atomic, write_json
    from scenarios.dispatch_geo import route_lines
    from scenarios.places import coords
    from service.maps import route_map
    from service.maps_parts import when_text
    from service.papers_places import directory_from_area
    from service.sheets import write_sheets

    out.mkdir(parents=True, exist_ok=True)
    legs, made = route_lines(situation, plan.plan)  # adds distances and roads
    doc = made.to_json()
    paths = [
        write_json(out / "plan.json", doc),
        write_atomic(
            out / "routes.geojson",
            lambda tmp: legs.to_file(tmp, driver="GeoJSON", engine="pyogrio"),
        ),
    ]
    directory = directory_from_area(situation.area, situation.network)
    paths += write_sheets(doc, out, lang, directory=directory, legs=legs)
    # One marker per place: late when its last load is handed out after the first target.
    first = min(t.hours for t in made.kpis.targets) if made.kpis.targets else 10.0
    last: dict[str, float] = {}
    for r in made.routes:
        for s in r.stops:
            place = s.people_place
            met = s.met_h if s.met_h is not None else s.arrive_h
            last[place] = max(last.get(place, 0.0), met)
    xy = [coords(situation, p) for p in last]
    stop_frame = gpd.GeoDataFrame(
        {
            "late": [m > first + 1e-9 for m in last.values()],
            "name": [directory.get(p).name or p for p in last],
        },
        geometry=gpd.points_from_xy([x for x, _ in xy], [y for _, y in xy]),
        crs=4326,
    )
    net = situation.network
    depots = gpd.GeoDataFrame(
        {
            "tier": [d.tier.value for d in net.depots],
            "id": [d.id for d in net.depots],
            "name": [d.name for d in net.depots],
        },
        geometry=gpd.points_from_xy([d.lon for d in net.depots], [d.lat for d in net.depots]),
        crs=4326,
    )
    edges = situation.area.roads.edges
    closed = edges[situation.hazards.conditions.closed] if len(edges) else None
    k = made.kpis.targets[0]
    bound = made.kpis.relief_check_targets
    sc = made.scenario
    title = pick(sc.name_zh or sc.name, sc.name, lang) + "\n"
    if bound:
        row = {"hours": k.hours, "share_met": bound[0].share_met}
        title += both_figures({**row, "plan_share_met": k.share_met}, lang)
    else:
        title += pick(
            f"调度计划 {k.hours:g} 小时满足 {k.share_met:.1%}",
            f"dispatch plan: {k.share_met:.1%} met by {k.hours:g} h",
            lang,
        )
    route_map(
        out / "map.png",
        title=title,
        boundaries=situation.area.boundaries,
        depots=depots,
        legs=legs,
        stops=stop_frame,
        flood=situation.flood,
        closed=closed,
        lang=lang,
        roads=situation.area.roads.edges,
        when=when_text(sc.report_time, lang),
        source=situation.area.path.name,
    )
    paths.append(out / "map.png")
    return made


def print_plan(plan: Plan, lang: Lang, show: int) -> None:
    """KPIs next to the relief check, late stops and unserved goods, as terminal tables."""
    from service.sheets_text import reason_label

    k = plan.kpis
    sc = plan.scenario
    head = pick("调度计划", "Dispatch plan", lang)
    console.print(f"[bold]{head}[/]: {sc.name_zh or sc.name} ({sc.area})")
    r = plan.redispatch
    if r is not None:
        console.print(
            pick(
                f"重新调度:第 {r.at_h:g} 小时,新增封闭 {len(r.closures)} 处;"
                f"已出发 {r.committed_stops} 趟照常送达,已装车 {r.loaded_kept} 趟保留,"
                f"无法返回 {len(r.stuck_vehicles)}",
                f"re-dispatch at {r.at_h:g} h after {len(r.closures)} closure(s): "
                f"{r.committed_stops} trips under way delivered as planned, "
                f"{r.loaded_kept} loaded trucks kept, "
                f"{len(r.stuck_vehicles)} cannot get home",
                lang,
            )
        )
    t = Table(title=pick("按时限满足的人数", "People whose needs are met by each target", lang))
    t.add_column(pick("时限", "target", lang))
    t.add_column(pick("本调度计划可满足", "this plan meets", lang), justify="right")
    t.add_column(
        pick("任何计划至多(核查上限)", "no plan can meet more than", lang), justify="right"
    )
    t.add_column(pick("差距(百分点)", "gap (points)", lang), justify="right")
    previous = r.previous_kpis if r is not None else None
    if previous is not None:
        t.add_column(pick("原计划", "previous plan", lang), justify="right")
    check = {x.hours: x for x in k.relief_check_targets}
    prev = {x.hours: x for x in previous.targets} if previous is not None else {}
    for x in k.targets:
        b = check.get(x.hours)
        row = [
            f"{x.hours:g} h",
            f"{x.people_met:,} ({x.share_met:.1%})",
            f"{b.people_met:,} ({b.share_met:.1%})" if b else "–",
            f"{100 * (b.share_met - x.share_met):.1f}" if b else "–",
        ]
        if previous is not None:
            p = prev.get(x.hours)
            row.append(f"{p.share_met:.1%}" if p else "–")
        t.add_row(*row)
    console.print(t)
    facts = Table(show_header=False)
    for zh, en, value in (
        ("使用车辆", "vehicles used", f"{k.vehicles_used}"),
        ("趟次/停靠", "trips / stops", f"{k.trips} / {k.stops}"),
        ("晚到停靠", "late stops", f"{k.late_stops}"),
        ("行驶", "driving", f"{k.drive_h:,.1f} h, {k.distance_km or 0:,.0f} km"),
        ("转运(舟艇/直升机)", "boat/air transfers", f"{k.transfers}"),
        ("求解方法", "engine", f"{k.engine} ({k.solve_s} s)"),
    ):
        facts.add_row(pick(zh, en, lang), value)
    console.print(facts)
    if plan.late[:show]:
        late = Table(title=pick("晚到停靠(前若干)", "Late stops (first few)", lang))
        for col in (("车辆", "vehicle"), ("地点", "place"), ("满足时刻", "met at")):
            late.add_column(pick(*col, lang))
        for lt in sorted(plan.late, key=lambda lt: -lt.met_h)[:show]:
            late.add_row(lt.vehicle, lt.demand.label(), f"{lt.met_h:.2f} h")
        console.print(late)
    if k.unserved_units_by_reason:
        un = Table(title=pick("未送达物资(按原因)", "Goods not delivered, by reason", lang))
        un.add_column(pick("原因", "reason", lang))
        un.add_column(pick("件数", "units", lang), justify="right")
        for reason, n in k.unserved_units_by_reason.items():
            un.add_row(reason_label(reason, lang), f"{n:,}")
        console.print(un)


def _print_outputs(out: Path, lang: Lang) -> None:
    names = [
        "plan.json",
        "routes.geojson",
        "sheets.csv",
        "sheets.xlsx",
        "sheets.html",
        "loading.html",
        "receipts.html",
        "papers.html",
        "map.png",
    ]
    console.print(
        pick("输出", "outputs", lang) + ": " + ", ".join(str(out / n) for n in names),
        highlight=False,
    )
