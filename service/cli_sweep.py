"""``relief sweep``: the relief check over many generated floods, on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scenarios.severity import SEVERITIES
from service.cli_common import LangOpt, app, console, friendly
from service.i18n import Lang, pick


@app.command()
@friendly
def sweep(
    out: Annotated[Path, typer.Option(help="Folder for results/ and summary.json (resumable).")],
    area: Annotated[
        str, typer.Option(help="Bundled area or GeoPackage (needs rivers).")
    ] = "hengshui",
    scenarios: Annotated[int, typer.Option(help="How many generated floods.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the first scenario.")] = 1,
    severity: Annotated[
        str | None, typer.Option(help=f"One of: {', '.join(SEVERITIES)}; default: all in turn.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://…); default: a local cluster.")
    ] = None,
    lang: LangOpt = Lang.BOTH,
) -> None:
    """批量情景推演。How often relief reaches everyone in time, over many generated floods."""
    from scenarios.sweep import run_sweep

    with Progress(
        TextColumn(pick("情景", "scenarios", lang)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=scenarios)

        def say(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = run_sweep(
            area, scenarios, out, seed=seed, severity=severity, scheduler=scheduler, progress=say
        )
    t = Table(
        title=pick(
            f"{summary['scenarios']} 个情景(新算 {summary['computed']},沿用 {summary['reused']})",
            f"{summary['scenarios']} scenarios ({summary['computed']} computed, "
            f"{summary['reused']} reused)",
            lang,
        )
    )
    for col in (
        ("时限", "target"),
        ("最差", "min"),
        ("10%分位", "p10"),
        ("中位", "median"),
        ("平均", "mean"),
        ("全部满足的情景", "all met"),
    ):
        t.add_column(pick(*col, lang))
    for target, d in summary["share_met"].items():
        t.add_row(
            f"{target} h",
            f"{d['min']:.1%}",
            f"{d['p10']:.1%}",
            f"{d['median']:.1%}",
            f"{d['mean']:.1%}",
            f"{d['all_met']:.0%}",
        )
    console.print(t)
    worst = ", ".join(w["name"] for w in summary["worst"])
    console.print(f"{pick('最差情景', 'worst', lang)}: {worst}", highlight=False)
    n = summary["scenarios"]
    late = ", ".join(
        f"{r['point']} ({r['scenarios']}/{n})" for r in summary["points_late_most"][:5]
    )
    waited = ", ".join(
        f"{r['depot']} ({r['scenarios']}/{n})" for r in summary["depots_waited_on_most"][:5]
    )
    console.print(f"{pick('最常超时的地点', 'places late most often', lang)}: {late or '-'}")
    console.print(f"{pick('最常被等待的储备库', 'depots waited on most', lang)}: {waited or '-'}")
    console.print(f"{pick('输出', 'outputs', lang)}: {out / 'summary.json'}", highlight=False)
