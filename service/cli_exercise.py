"""``relief exercise run``: play a scenario's timed injects and watch the KPIs move."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from service.cli_common import LangOpt, app, console, friendly
from service.i18n import Lang, pick
from solver.errors import DataError

exercise_app = typer.Typer(help="Exercises: timed injects. 演练。", no_args_is_help=True)
app.add_typer(exercise_app, name="exercise")


@exercise_app.command("run")
@friendly
def exercise_run(
    scenario: Annotated[
        Path, typer.Option(help="Scenario YAML with `injects` (scenarios/README.md).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for exercise.json and plan_<step>.json.")],
    area: Annotated[str | None, typer.Option(help="Area; default: the scenario's.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per plan.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """按时间注入事件推演。Plan, then re-plan at each inject; print how the targets move."""
    from geodata.area import load_area
    from geodata.io import write_json
    from scenarios.dispatch import DispatchRequest
    from scenarios.exercise import run_exercise
    from scenarios.model import load_scenario

    sc, folder = load_scenario(scenario)
    if not sc.injects:
        raise DataError(
            "the scenario has no injects", field="injects", problem_zh="情景中没有注入事件"
        )
    req = DispatchRequest(time_limit_s=time_limit, seed=seed)
    with console.status(pick("推演中…", "running the exercise…", lang)):
        rep = run_exercise(load_area(area or sc.area), sc, folder=folder, request=req)
    out.mkdir(parents=True, exist_ok=True)
    for n, step in enumerate(rep.steps):
        write_json(out / f"plan_{n}.json", step.doc)
    doc = rep.to_json()
    write_json(out / "exercise.json", doc)
    t = Table(title=pick(f"演练:{sc.name_zh or sc.name}", f"Exercise: {sc.name}", lang))
    for col in (
        ("时刻", "at"),
        ("事件", "event"),
        ("10小时满足", "met by 10 h"),
        ("12小时满足", "met by 12 h"),
        ("核查上限(10小时)", "check (10 h)"),
        ("未送达件数", "units not delivered"),
        ("无法返回车辆", "stuck vehicles"),
    ):
        t.add_column(pick(*col, lang))
    for s in doc["steps"]:
        t.add_row(
            f"{s['at_h']:g} h",
            s["label"],
            f"{s['plan_share'].get('10', 0):.1%}",
            f"{s['plan_share'].get('12', 0):.1%}",
            f"{s['check_share'].get('10', 0):.1%}",
            f"{s['unserved_units']:,}",
            str(s["stuck_vehicles"]),
        )
    console.print(t)
    console.print(f"{pick('输出', 'outputs', lang)}: {out / 'exercise.json'}", highlight=False)
