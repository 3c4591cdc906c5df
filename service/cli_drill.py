"""``relief drill score``: score a drill's decisions against the optimiser (a debrief).

The decisions come from a drill's event log as the service gives it (``GET
/drills/{id}/events``: releases and decisions are read from it), or from a JSON list of
``{"at_h", "player", "decision"}``. Without releases in the log, ``--released`` says which
injects happened when (default: all, at their scripted hours).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from service.cli_common import LangOpt, app, console, friendly
from service.i18n import Lang, pick
from solver.errors import DataError

if TYPE_CHECKING:
    from scenarios.drill import Released, Submitted
    from scenarios.model import Scenario

drill_app = typer.Typer(
    help="Double-blind drills: debrief and score. 双盲演练。", no_args_is_help=True
)
app.add_typer(drill_app, name="drill")


def read_log(
    path: Path, scenario: Scenario, released: str | None
) -> tuple[list[Released], list[Submitted]]:
    """Releases and decisions from a drill log (or a list of decisions) and ``--released``."""
    from scenarios.drill import Released, Submitted, decision_from_dict

    if not path.is_file():
        raise DataError("file does not exist", source=str(path), problem_zh="文件不存在")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not JSON ({exc})", source=str(path), problem_zh="无法解析") from None
    if not isinstance(data, list):
        raise DataError("expected a JSON list", source=str(path), problem_zh="须为 JSON 列表")
    rel: list[Released] = []
    subs: list[Submitted] = []
    for k, row in enumerate(data):
        if not isinstance(row, dict):
            raise DataError("must be an object", source=str(path), field=f"[{k}]")
        try:
            if "kind" in row:  # a service event
                body = row.get("body") or {}
                if row["kind"] == "released":
                    rel.append(Released(int(body["index"]), float(row["hour"])))
                elif row["kind"] == "decision":
                    dec = decision_from_dict(body["decision"])
                    subs.append(Submitted(float(row["hour"]), str(row.get("token", "")), dec))
            else:
                dec = decision_from_dict(row["decision"])
                subs.append(Submitted(float(row["at_h"]), str(row.get("player", "")), dec))
        except KeyError as exc:
            raise DataError(
                f"missing {exc}", source=str(path), field=f"[{k}]", problem_zh="缺少字段"
            ) from None
        except DataError as exc:
            raise DataError(
                exc.problem,
                source=str(path),
                field=f"[{k}].decision.{exc.field}",
                problem_zh=exc.problem_zh,
            ) from None
    if released is not None:
        if rel:
            raise DataError(
                "the log records its releases; leave out --released",
                field="--released",
                problem_zh="记录中已有事件发布,无需 --released",
            )
        rel = _parse_released(released, scenario)
    elif not rel and not any(r.get("kind") for r in data):
        rel = [Released(k, i.at_h) for k, i in enumerate(scenario.injects)]
    for r in rel:
        if not 0 <= r.index < len(scenario.injects):
            raise DataError(
                f"the scenario has {len(scenario.injects)} injects, not {r.index + 1}",
                field="--released",
                problem_zh="无此注入事件",
            )
    return rel, sorted(subs, key=lambda s: s.at_h)


def _parse_released(text: str, scenario: Scenario) -> list[Released]:
    from scenarios.drill import Released

    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        k, _, h = part.partition("@")
        try:
            index = int(k)
            hour = float(h) if h else scenario.injects[index].at_h
        except (ValueError, IndexError):
            raise DataError(
                f"{part!r}: give INDEX or INDEX@HOURS, e.g. 0@4,1@5.5",
                field="--released",
                problem_zh="格式应为 序号@小时",
            ) from None
        out.append(Released(index, hour))
    return out


@drill_app.command("score")
@friendly
def drill_score(
    scenario: Annotated[Path, typer.Option(help="The drill's scenario YAML (with injects).")],
    log: Annotated[
        Path, typer.Option(help="The drill's event log (GET /drills/{id}/events) or decisions.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for score.json and both plans.")],
    released: Annotated[
        str | None,
        typer.Option(help="Injects that happened, INDEX[@HOURS],… (when the log has none)."),
    ] = None,
    area: Annotated[str | None, typer.Option(help="Area; default: the scenario's.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per plan.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """演练复盘评分。Play the players' decisions, plan the optimiser's, compare."""
    from geodata.area import load_area
    from geodata.io import write_json
    from scenarios.dispatch import DispatchRequest
    from scenarios.drill import score_drill
    from scenarios.model import load_scenario

    sc, folder = load_scenario(scenario)
    rel, subs = read_log(log, sc, released)
    req = DispatchRequest(time_limit_s=time_limit, seed=seed)
    with console.status(pick("评分中…", "scoring…", lang)):
        doc = score_drill(load_area(area or sc.area), sc, rel, subs, req, folder=folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("player_plan", "player_plan"), ("optimiser_plan", "optimiser_plan")):
        write_json(out / f"{name}.json", doc[part])
    write_json(out / "score.json", {k: v for k, v in doc.items() if not k.endswith("_plan")})
    print_score(doc, lang)
    console.print(f"{pick('输出', 'outputs', lang)}: {out / 'score.json'}", highlight=False)


def print_score(doc: dict[str, Any], lang: Lang) -> None:
    """Bilingual tables: targets and lateness, unserved by reason, costliest decisions."""
    p, o = doc["players"], doc["optimiser"]
    t = Table(
        title=pick("演练评分:参演人员 对比 优化方案", "Drill score: players vs optimiser", lang)
    )
    for col in (
        ("时限", "target"),
        ("参演满足率", "players met"),
        ("优化满足率", "optimiser met"),
        ("参演超时人·小时", "players people-hours late"),
        ("优化超时人·小时", "optimiser people-hours late"),
    ):
        t.add_column(pick(*col, lang))
    for pt, ot, pl, ol in zip(
        p["targets"], o["targets"], p["lateness"], o["lateness"], strict=True
    ):
        t.add_row(
            f"{pt['hours']:g} h",
            f"{pt['share_met']:.1%}",
            f"{ot['share_met']:.1%}",
            f"{pl['people_hours_late']:,.0f}",
            f"{ol['people_hours_late']:,.0f}",
        )
    console.print(t)
    reasons = sorted(set(p["unserved_units_by_reason"]) | set(o["unserved_units_by_reason"]))
    if reasons:
        u = Table(title=pick("未送达物资(件)按原因", "Units not delivered, by reason", lang))
        for col in (("原因", "reason"), ("参演", "players"), ("优化", "optimiser")):
            u.add_column(pick(*col, lang))
        for r in reasons:
            u.add_row(
                _reason(r, lang),
                f"{p['unserved_units_by_reason'].get(r, 0):,}",
                f"{o['unserved_units_by_reason'].get(r, 0):,}",
            )
        console.print(u)
    if doc["costliest_decisions"]:
        c = Table(title=pick("代价最大的决定", "Costliest decisions", lang))
        for col in (
            ("决定/车次", "decision/trip"),
            ("车辆", "vehicle"),
            ("地点", "places"),
            ("损失人·小时", "people-hours lost"),
            ("原因", "why"),
        ):
            c.add_column(pick(*col, lang))
        for x in doc["costliest_decisions"][:5]:
            late = x["kind"] == "late_trip"
            c.add_row(
                f"{x['decision'] + 1}/{x['trip'] + 1}" if late else "-",
                x.get("vehicle", "-"),
                ", ".join(_demand_label(d["demand"]) for d in x["demands"][:3]),
                f"{x['people_hours']:,.0f}",
                pick("送达晚于优化方案", "later than the optimiser", lang)
                if late
                else _reason(x["reason"], lang),
            )
        console.print(c)


def _reason(key: str, lang: Lang) -> str:
    from service.sheets_text import reason_label

    return reason_label(key, lang)


def _demand_label(demand: dict[str, Any]) -> str:
    from scenarios.plan import DemandRef

    return DemandRef.model_validate(demand).label()
