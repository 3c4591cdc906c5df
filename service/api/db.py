"""Persistence: tokens, the stock registry, the audit trail, jobs and drills (SQLAlchemy).

SQLite by default; any SQLAlchemy URL (e.g. PostgreSQL) works the same. The schema is
created and upgraded by Alembic migrations (``service/api/migrations``) at start-up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> dt.datetime:
    """The current time, UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Token(Base):
    """An API token: a name, a role, and the SHA-256 of the secret (never the secret)."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Stock(Base):
    """A depot's stock of one item as changed through the service (overrides the area's)."""

    __tablename__ = "stock"
    area: Mapped[str] = mapped_column(String(100), primary_key=True)
    depot: Mapped[str] = mapped_column(String(100), primary_key=True)
    item: Mapped[str] = mapped_column(String(100), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class NewDepot(Base):
    """A depot added through the service (its stock then comes from ``stock`` rows)."""

    __tablename__ = "new_depots"
    area: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    county: Mapped[str] = mapped_column(String(100), default="")
    token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Shelter(Base):
    """A shelter's capacity (people) as changed through the service (overrides the area's)."""

    __tablename__ = "shelters"
    area: Mapped[str] = mapped_column(String(100), primary_key=True)
    point: Mapped[str] = mapped_column(String(100), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Audit(Base):
    """Who changed what, when: every write through the service."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    token: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class Job(Base):
    """An analysis run in the background: submitted, queued, running, done or failed."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stage: Mapped[str] = mapped_column(String(50), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    request: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text, default="")
    result_file: Mapped[str] = mapped_column(String(500), default="")
    token: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StoredScenario(Base):
    """A scenario kept by the service (the body as in a scenario YAML, in JSON)."""

    __tablename__ = "scenarios"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    area: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Layer(Base):
    """An uploaded layer (a flood) or area.

    Stored as WGS84 GeoJSON / GeoPackage under the data folder and, on PostgreSQL, feature
    by feature in PostGIS (``layer_features``).
    """

    __tablename__ = "layers"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    area: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))
    features: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Drill(Base):
    """A double-blind drill: its scenario (with the script of injects), clock and state.

    ``released`` is JSON: ``[[inject index, drill hour], ...]``. In ``clock`` mode the drill
    hour runs at ``speed`` drill hours per real hour from ``started_at``; in ``manual`` mode
    ``hour`` is set by the controller. ``blind``: the controller does not see the script.
    """

    __tablename__ = "drills"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    area: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(10))
    speed: Mapped[float] = mapped_column(Float, default=60.0)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="ready")
    hour: Mapped[float] = mapped_column(Float, default=0.0)
    released: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON: the stock and shelter capacities when prepared (scenarios.drill.snapshot_of)
    snapshot: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_h: Mapped[float | None] = mapped_column(Float, nullable=True)


class DrillEvent(Base):
    """One entry of a drill's log (the debrief replays it): who did what at which hour."""

    __tablename__ = "drill_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drill: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    hour: Mapped[float] = mapped_column(Float)
    token: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="{}")


def head_revision() -> str:
    """The newest migration's revision, read from the file names.

    Migrations are files ``NNNN_name.py`` whose revision is ``NNNN``; a test holds this
    against Alembic's own reading of the folder.
    """
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is already at :func:`head_revision`."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(rows) == [head_revision()]


def migrate(url: str) -> None:
    """Create or upgrade the schema at ``url`` to the newest migration."""
    # Alembic takes longer to import than a command takes to run; load it only to migrate.
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def open_db(url: str) -> tuple[Engine, sessionmaker]:  # type: ignore[type-arg]
    """Migrate, then an engine and a session factory for ``url``."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    sqlite = url.startswith("sqlite")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False} if sqlite else {},
        # One connection per request thread (the server runs sync routes on up to 40
        # threads): a pool of 5 would make most of 50 concurrent readers wait for one.
        **({} if sqlite else {"pool_size": 20, "max_overflow": 25, "pool_pre_ping": True}),
    )
    if sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the job writer
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

    if not at_head(engine):
        migrate(url)
    engine.dispose()  # no connection kept from the check: an engine never used holds none
    return engine, sessionmaker(engine, expire_on_commit=False)
