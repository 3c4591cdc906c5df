"""``relief serve`` (the HTTP service) and ``relief token`` (API tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli_common import app, console, friendly

token_app = typer.Typer(
    help="API tokens for the HTTP service. 服务访问令牌。", no_args_is_help=True
)
app.add_typer(token_app, name="token")

DbOpt = Annotated[
    str,
    typer.Option(help="Database URL (SQLite file by default; postgresql://… for PostgreSQL)."),
]
DEFAULT_DB = "sqlite:///relief-data/relief.db"


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    db: DbOpt = DEFAULT_DB,
    data_dir: Annotated[Path, typer.Option(help="Folder for job results.")] = Path("relief-data"),
    max_time_limit: Annotated[
        float, typer.Option(help="Longest solve a job may ask for (s).")
    ] = 300.0,
    max_jobs: Annotated[int, typer.Option(help="Jobs queued or running at once.")] = 20,
    area: Annotated[
        list[str] | None, typer.Option(help="Extra area NAME=GeoPackage; repeatable.")
    ] = None,
) -> None:
    """启动服务。Run the HTTP service (OpenAPI docs at /docs)."""
    import uvicorn

    from service.api.app import create_app
    from service.api.settings import Settings

    extra = {}
    for spec in area or []:
        name, _, path = spec.partition("=")
        extra[name] = Path(path)
    settings = Settings(
        db_url=db,
        data_dir=data_dir,
        max_time_limit_s=max_time_limit,
        max_queued_jobs=max_jobs,
        areas=extra,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@token_app.command("create")
@friendly
def token_create(
    name: Annotated[str, typer.Option(help="Who holds the token (person or system).")],
    role: Annotated[str, typer.Option(help="planner, duty_officer, exercise_designer or viewer.")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """创建访问令牌。Create a token; its secret is printed once."""
    from service.api.auth import create_token
    from service.api.db import open_db

    engine, sessions = open_db(db)
    with sessions() as s:
        secret = create_token(s, name, role)
    engine.dispose()
    console.print(f"{name} ({role}): {secret}", highlight=False)
