"""``relief site``: where new reserve depots raise coverage most, and of what size."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scenarios.siting_registry import get_model, model_names
from service.cli_common import CrsOpt, LangOpt, app, console, friendly
from service.i18n import Lang, label, pick
from solver.backend import Backend
from solver.errors import DataError

if TYPE_CHECKING:
    from solver.siting_extended import TierSpec


def _names(model: str) -> tuple[str, str]:
    m = get_model(model)
    return m.label_zh, m.label_en


def _tiers(values: list[str] | None) -> tuple[TierSpec, ...]:
    from solver.siting_extended import DEFAULT_TIERS, TierSpec

    if not values:
        return DEFAULT_TIERS
    by = {t.tier: t for t in DEFAULT_TIERS}
    for v in values:
        try:
            name, rest = v.split("=", 1)
            parts = rest.split(":")
            p = int(parts[0])
            cutoff = float(parts[1]) if len(parts) > 1 else by[name].cutoff_h
        except (ValueError, KeyError):
            raise DataError(
                f"use TIER=P or TIER=P:HOURS (tiers: {', '.join(by)}), got {v!r}",
                field="--tier-p",
                problem_zh="格式应为 层级=数量[:小时]",
            ) from None
        by[name] = TierSpec(name, cutoff, p, by[name].weight)
    return tuple(by.values())


@app.command()
@friendly
def site(
    out: Annotated[Path, typer.Option(help="Folder for siting.json, sites.geojson, map.png.")],
    area: Annotated[str, typer.Option(help="Bundled area or a GeoPackage.")] = "hengshui",
    model: Annotated[str, typer.Option(help=f"One of: {', '.join(model_names())}.")] = "mclp",
    p: Annotated[
        int, typer.Option(help="New sites (mclp, pmedian, pcenter, capacitated, robust).")
    ] = 5,
    target: Annotated[
        float,
        typer.Option(
            help="Hours on the relief clock (10 or 12); travel "
            "allowed = target - the tier's response, alert, "
            "loading and handover."
        ),
    ] = 10.0,
    travel_hours: Annotated[
        float | None,
        typer.Option(help="Give the travel-time cutoff directly (hours) instead of --target."),
    ] = None,
    tier: Annotated[
        str, typer.Option(help="Tier of the new sites: township, county, municipal.")
    ] = "county",
    flood: Annotated[
        list[Path] | None,
        typer.Option(help="Flood polygons; for --model robust each file is one scenario."),
    ] = None,
    sweep: Annotated[
        Path | None,
        typer.Option(
            help="For --model robust: a `relief sweep` folder; each of its floods is one "
            "scenario (besides any --flood)."
        ),
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(help="Zones where no new site may go (historical flood zones)."),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            help="Candidate sites file (id, name; points). Default: township seats and major "
            "junctions."
        ),
    ] = None,
    tier_p: Annotated[
        list[str] | None,
        typer.Option(help="For --model tiered: TIER=P[:HOURS], e.g. township=3:0.5 county=1:1.0."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option(help="For capacitated: cost budget (yuan).")
    ] = None,
    mode: Annotated[str, typer.Option(help="For robust: worst or expected.")] = "worst",
    design_share: Annotated[
        float,
        typer.Option(
            help="For capacitated: share of the population reserves are sized for (Beijing: 1%)."
        ),
    ] = 0.01,
    level: Annotated[str, typer.Option(help="Response level for the clock (I-IV).")] = "II",
    solver: Annotated[
        str | None, typer.Option(help="scip, highs or sat (default: per model).")
    ] = None,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 60.0,
    curve: Annotated[
        int | None,
        typer.Option(
            help="Also chart coverage against the number of new depots, p = 0..CURVE "
            "(what each added depot buys): a table and curve.png."
        ),
    ] = None,
    crs: CrsOpt = None,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """Site new reserve depots: coverage before/after, chosen sites, size class and tier."""
    try:
        backend = Backend(solver) if solver else None
    except ValueError:
        raise DataError(
            f"unknown solver {solver!r}; use scip, highs or sat",
            field="--solver",
            problem_zh=f"未知求解器 {solver!r},可选 scip、highs、sat",
        ) from None
    from geodata.area import load_area
    from geodata.io import write_atomic, write_json
    from scenarios.siting import SitingRequest, run_siting
    from scenarios.sweep import sweep_floods
    from service.maps import site_map
    from service.siting_plot import curve_plot
    from solver.timeline import parse_level

    a = load_area(area, crs=crs)
    floods: list[Any] = list(flood or ())
    if sweep is not None:
        floods += sweep_floods(a, sweep)
    req = SitingRequest(
        model=model,
        p=p,
        target_h=target,
        travel_h=travel_hours,
        tier=tier,
        floods=tuple(floods),
        exclusions=tuple(exclude or ()),
        candidates=candidates,
        level=parse_level(level),
        time_limit_s=time_limit,
        backend=backend,
        budget=budget,
        tiers=_tiers(tier_p),
        robust_mode=mode,
        crs=crs,
        curve=curve,
    )
    with console.status(pick("正在求解…", "solving…", lang)):
        report = run_siting(a, req)
    doc = report.to_json()
    sites = report.sites_frame()
    s = report.siting
    before = after = None
    if s.cutoff_h is not None:
        pr = report.input.problem
        before = pr.covered(pr.existing, s.cutoff_h)
        after = pr.covered(s.open_mask, s.cutoff_h)
    zh, en = _names(model)
    title = pick(
        f"{zh}:覆盖率 {_pct(doc['coverage_before'])} → {_pct(doc['coverage_after'])}",
        f"{en}: coverage {_pct(doc['coverage_before'])} -> {_pct(doc['coverage_after'])}",
        lang,
    )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "siting.json", doc)
    write_atomic(
        out / "sites.geojson", lambda tmp: sites.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    )
    site_map(
        out / "map.png",
        title=title,
        boundaries=a.boundaries,
        sites=sites,
        points=report.input.points,
        before=before,
        after=after,
        lang=lang,
    )
    outputs = [out / "siting.json", out / "sites.geojson", out / "map.png"]
    if doc["curve"]:
        curve_plot(
            out / "curve.png",
            doc["curve"],
            title=pick(
                f"新建储备库数量与覆盖率({doc['cutoff_travel_h']:.2f} 小时行驶)",
                f"Coverage by number of new depots ({doc['cutoff_travel_h']:.2f} h travel)",
                lang,
            ),
            lang=lang,
        )
        outputs.append(out / "curve.png")
    _print(doc, lang)
    if doc["curve"]:
        _print_curve(doc, lang)
    console.print(
        f"{label('outputs', lang)}: {', '.join(str(o) for o in outputs)}", highlight=False
    )


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _print(doc: dict[str, Any], lang: Lang) -> None:
    t = Table(title=pick(*_names(doc["model"]), lang))
    t.add_column(label("layer", lang))
    t.add_column(label("value", lang), justify="right")
    cut = doc["cutoff_travel_h"]
    gap = "—" if doc["gap"] is None else f"{doc['gap']:.2%}"
    rows = [
        (pick("求解状态", "status", lang), _status(doc, lang)),
        (
            pick("目标值 / 界 / 间隙", "objective / bound / gap", lang),
            f"{_num(doc['objective'])} / {_num(doc['bound'])} / {gap}",
        ),
        (
            pick("允许行驶时间(小时)", "travel allowed (h)", lang),
            "—" if cut is None else f"{cut:.2f}",
        ),
        (
            pick("覆盖率 之前 → 之后", "coverage before -> after", lang),
            f"{_pct(doc['coverage_before'])} -> {_pct(doc['coverage_after'])}",
        ),
        (
            pick("候选站址 / 排除", "candidates / excluded", lang),
            f"{doc['candidates']} / {len(doc['excluded'])}",
        ),
        (pick("求解时间(秒)", "solve time (s)", lang), f"{doc['seconds']:.2f}"),
    ]
    for k, v in rows:
        t.add_row(k, str(v))
    console.print(t)
    if doc["sites"]:
        t = Table(title=pick("新建站址", "New sites", lang))
        for zh, en in (
            ("编号", "id"),
            ("名称", "name"),
            ("层级", "tier"),
            ("规模等级", "size class"),
            ("经度", "lon"),
            ("纬度", "lat"),
        ):
            t.add_column(pick(zh, en, lang))
        for s in doc["sites"]:
            t.add_row(
                s["id"],
                s["name"],
                str(s.get("tier") or ""),
                str(s.get("size_class") or ""),
                f"{s['lon']:.4f}",
                f"{s['lat']:.4f}",
            )
        console.print(t)
    per_tier = doc["detail"].get("per_tier")
    if per_tier:
        t = Table(title=pick("分层覆盖", "Coverage by tier", lang))
        for zh, en in (
            ("层级", "tier"),
            ("标准(小时)", "standard (h)"),
            ("新建", "new"),
            ("之前", "before"),
            ("之后", "after"),
        ):
            t.add_column(pick(zh, en, lang))
        for name, v in per_tier.items():
            t.add_row(
                name,
                f"{v['cutoff_h']:g}",
                str(v["new_sites"]),
                _pct(v["coverage_before"]),
                _pct(v["coverage_after"]),
            )
        console.print(t)
    if doc["uncoverable"]:
        n = len(doc["uncoverable"])
        people = sum(u["people"] for u in doc["uncoverable"])
        names = ", ".join(f"{u['name']} {u['id']}" for u in doc["uncoverable"][:8])
        console.print(
            pick(
                f"[red]无候选站址可覆盖的地点 {n} 个({people:,} 人):{names}…[/]",
                f"[red]{n} points ({people:,} people) no candidate can cover: {names}…[/]",
                lang,
            ),
            highlight=False,
        )


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.2f}"


def _status(doc: dict[str, Any], lang: Lang) -> str:
    if doc["status"] == "optimal":
        return pick("已证明最优", "optimal (proven)", lang)
    if doc["status"] == "feasible":
        gap = "—" if doc["gap"] is None else f"{doc['gap']:.2%}"
        return pick(f"可行解,间隙 {gap}(达到时限)", f"feasible, gap {gap} (time limit)", lang)
    return str(doc["status"])


def _print_curve(doc: dict[str, Any], lang: Lang) -> None:
    """What each added depot buys: people newly covered and hours saved on the clock."""
    t = Table(
        title=pick(
            "每增加一个储备库的效果(各 p 分别求最优)",
            "What each added depot buys (each p solved to optimality)",
            lang,
        )
    )
    for zh, en in (
        ("新建数", "p"),
        ("覆盖率", "coverage"),
        ("新增覆盖人口", "people newly covered"),
        ("平均到达(时钟小时)", "mean clock h"),
        ("节省人·小时", "person-hours saved"),
        ("最晚到达(时钟小时)", "latest clock h"),
        ("新增站址", "sites added"),
        ("求解状态", "status"),
    ):
        t.add_column(pick(zh, en, lang), justify="right" if en != "sites added" else "left")
    for c in doc["curve"]:
        t.add_row(
            str(c["p"]),
            _pct(c["coverage"]),
            f"{c['newly_covered'] or 0:,.0f}",
            "—" if c["mean_clock_h"] is None else f"{c['mean_clock_h']:.2f}",
            f"{c['person_hours_saved'] or 0:,.0f}",
            "—" if c["longest_clock_h"] is None else f"{c['longest_clock_h']:.2f}",
            ", ".join(c["added"]) or "—",
            c["status"] if c["status"] != "feasible" else f"gap {100 * (c['gap'] or 0):.2f}%",
        )
    console.print(t)
