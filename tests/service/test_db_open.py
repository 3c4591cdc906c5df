"""Opening the database: migrated once, then opened without loading Alembic."""

from __future__ import annotations

import subprocess
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from service.api.db import MIGRATIONS, at_head, head_revision, open_db


def test_head_from_file_names_is_alembics_head():
    """The quick reading of the newest revision agrees with Alembic's reading of the folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [head_revision()]


def test_a_migrated_database_opens_without_alembic(tmp_path):
    """A new database is migrated to the head; opening it again does not import Alembic."""
    url = f"sqlite:///{tmp_path / 'relief.db'}"
    engine, _ = open_db(url)
    assert at_head(engine)
    engine.dispose()
    code = (
        "import sys; from service.api.db import open_db; "
        f"e, _ = open_db({url!r}); e.dispose(); "
        "print(any(m == 'alembic' or m.startswith('alembic.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_old_database_is_upgraded(tmp_path):
    """A database whose schema is behind the head is upgraded when opened."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    from alembic import command

    command.upgrade(cfg, "0001")
    engine, _ = open_db(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert version == head_revision() != "0001"
    assert {"drills", "drill_events"} <= tables  # made by migration 0005
