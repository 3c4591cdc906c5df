"""Service tests run against SQLite and, when RELIEF_TEST_PG names a server, PostgreSQL.

``.ci/run`` starts a private PostgreSQL + PostGIS cluster and sets RELIEF_REQUIRE_PG, so in
CI a missing server fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'relief.db'}"
        return
    admin = os.environ.get("RELIEF_TEST_PG")
    if not admin:
        if os.environ.get("RELIEF_REQUIRE_PG"):
            pytest.fail("RELIEF_REQUIRE_PG is set but RELIEF_TEST_PG is not")
        pytest.skip("no PostgreSQL server (set RELIEF_TEST_PG; .ci/run does)")
    import psycopg

    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    name = f"relief_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(plain.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")  # as a bureau's server has
    yield admin.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
