"""What every ``relief`` command shares: the app, consoles, error handling, options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from service.i18n import Lang
from solver.errors import DataError, InfeasibleError

app = typer.Typer(
    help="Relief-supply logistics for Hebei: flood-aware travel times, relief checks, siting "
    "and dispatch. 河北救灾物资保障优化工具。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Piped output (make, CI logs) gets a wide fixed width instead of rich's default 80 columns,
# so bilingual tables stay readable.
console = Console(width=None if sys.stdout.isatty() else 132)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 132)

F = TypeVar("F", bound=Callable[..., Any])

AreaOpt = Annotated[
    str,
    typer.Option(
        help="Bundled area (hengshui, zhuozhou) or a GeoPackage with the layers in DATA.md."
    ),
]
CrsOpt = Annotated[
    str | None,
    typer.Option(help="CRS of user files: wgs84 (default), gcj02, bd09 or an EPSG code."),
]
LangOpt = Annotated[Lang, typer.Option(help="Output language: zh, en or both.")]
DepotsOpt = Annotated[
    Path | None,
    typer.Option(help="Depots file (CSV/XLSX with lon/lat, GeoJSON, ...) replacing the area's."),
]
PointsOpt = Annotated[
    Path | None,
    typer.Option(help="Population points/shelters file replacing the area's."),
]
RoadsOpt = Annotated[
    Path | None,
    typer.Option(
        help="Roads from an OSM extract (.osm/.osm.pbf) or a line file, replacing the area's."
    ),
]


def friendly(command: F) -> F:
    """Turn DataError/InfeasibleError into a bilingual message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DataError as exc:
            zh = exc.message_zh
            err_console.print(f"[bold red]错误 Error:[/] {exc}", highlight=False, soft_wrap=True)
            if zh:
                err_console.print(f"[red]{zh}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except InfeasibleError as exc:
            err_console.print(
                f"[bold red]无解 Infeasible:[/] {exc}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]
