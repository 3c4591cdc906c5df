"""What every ``relief`` command shares: the app, consoles, error handling, options."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from service.i18n import Lang
from solver.errors import DataError, InfeasibleError, SolverError

app = typer.Typer(
    help="Relief-supply logistics for Hebei: flood-aware travel times, relief checks, siting "
    "and dispatch. 河北救灾物资保障优化工具。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help loads a Markdown renderer (0.35 s of start-up).
    rich_markup_mode=None,
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


#: File systems that are not a place for results (kernel and device views).
SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _out_error(path: Path, problem: str, zh: str) -> DataError:
    return DataError(problem, source=str(path), field="--out", problem_zh=zh)


def _special(path: Path) -> bool:
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in SPECIAL_ROOTS)


def _writable_dir(folder: Path, out: Path) -> None:
    """Refuse unless a file can be created in ``folder`` (probed, then removed)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".relief-probe-", dir=folder)
    except OSError as exc:
        raise _out_error(
            out,
            f"cannot write in {folder}: {exc.strerror}",
            f"无法在 {folder} 中写入({exc.strerror})",
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_out_file(out: Path) -> None:
    """Refuse a bad output file path before any work is done.

    A folder, a missing or unwritable parent folder, or a special file system (/proc,
    /sys, /dev) is refused.
    """
    if _special(out):
        raise _out_error(out, "is on a special file system", "不能写入系统特殊目录")
    if out.is_dir():
        raise _out_error(out, "is a folder; give a file name", "这是目录,请给出文件名")
    parent = out.parent
    if not parent.exists():
        raise _out_error(out, f"folder {parent} does not exist", f"目录 {parent} 不存在,请先创建")
    if not parent.is_dir():
        raise _out_error(out, f"{parent} is not a folder", f"{parent} 不是目录")
    _writable_dir(parent, out)


def check_out_dir(out: Path) -> None:
    """Refuse a bad output folder before any work is done.

    An existing file, a special file system, or a place where it cannot be made is
    refused; the folder itself is made, with its parents, only when results are written.
    """
    if _special(out):
        raise _out_error(out, "is on a special file system", "不能写入系统特殊目录")
    if out.exists() and not out.is_dir():
        raise _out_error(out, "is a file; give a folder", "这是文件,请给出目录")
    base = out
    while not base.exists():
        base = base.parent
    if not base.is_dir():
        raise _out_error(out, f"{base} is a file, not a folder", f"{base} 是文件,不是目录")
    _writable_dir(base, out)


def friendly(command: F) -> F:
    """Turn the errors a command can meet into a bilingual message and an exit code.

    Exit codes: 0 done; 2 bad input: a DataError (bad data, named by file, record and
    field), an operating-system error on a file (permissions, a full disk, a folder where a
    file was expected) or input nested too deeply (click's usage errors exit 2 as well);
    3 no solution under the hard constraints (InfeasibleError); 4 no solver could answer
    (SolverError: numerical trouble or a crash, not infeasibility); 1 anything else, a bug,
    with its traceback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DataError as exc:
            _print_error(exc)
            raise typer.Exit(2) from None
        except OSError as exc:
            where = exc.filename or ""
            _print_error(
                DataError(
                    f"{exc.strerror or exc}",
                    source=str(where) if where else None,
                    problem_zh=f"文件操作失败({exc.strerror or exc})",
                )
            )
            raise typer.Exit(2) from None
        except RecursionError:
            _print_error(DataError("input nested too deeply", problem_zh="输入嵌套层次过深"))
            raise typer.Exit(2) from None
        except InfeasibleError as exc:
            err_console.print(
                f"[bold red]无解 Infeasible:[/] {exc}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(3) from None
        except SolverError as exc:
            zh = exc.problem_zh or "求解器未能给出结果(数值问题或求解器故障,并非无解)"
            err_console.print(f"[bold red]求解失败:[/] {zh}", highlight=False, soft_wrap=True)
            err_console.print(
                f"[bold red]Solver failed:[/] {exc.problem}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(4) from None

    return wrapper  # type: ignore[return-value]


def _print_error(exc: DataError) -> None:
    zh = exc.message_zh
    if zh:
        err_console.print(f"[bold red]错误:[/] {zh}", highlight=False, soft_wrap=True)
    err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
