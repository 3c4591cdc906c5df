"""Service tests run against SQLite and, when RELIEF_TEST_PG names a server, PostgreSQL.

``.ci/run`` starts a private PostgreSQL + PostGIS cluster and sets RELIEF_REQUIRE_PG, so in
CI a missing server fails the tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL of ``kind`` (sqlite, postgresql), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'relief.db'}"
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
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request, tmp_path_factory):
    """One database per module and kind, for read-only suites with many cases."""
    with database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module")
def module_service(tmp_path_factory, tiny_gpkg, module_db_url):
    """One service per module and database, for suites whose requests change nothing."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from tests.service.test_api import settings, tokens

    cfg = settings(tmp_path_factory.mktemp("svc"), tiny_gpkg, module_db_url)
    heads = tokens(cfg)
    with TestClient(create_app(cfg)) as client:
        yield client, heads, cfg
