"""Schemathesis against the service's OpenAPI spec: no 5xx, responses match their schemas.

Every operation is called with generated (valid and invalid) input by a planner token on a
service that stores jobs but does not run them (the analyses have their own tests). The
app is built at import, as Schemathesis reads the schema when tests are collected.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service.api.app import create_app
from service.api.auth import create_token
from service.api.db import open_db
from service.api.settings import Settings
from tests.conftest import write_tiny_area

TMP = Path(tempfile.mkdtemp(prefix="relief-api-"))
CFG = Settings(
    db_url=f"sqlite:///{TMP / 'relief.db'}",
    data_dir=TMP / "data",
    areas={"tiny": write_tiny_area(TMP / "tiny.gpkg")},
    max_queued_jobs=10_000,
)
_engine, _sessions = open_db(CFG.db_url)
with _sessions() as _s:
    HEADERS = {"Authorization": f"Bearer {create_token(_s, 'fuzz', 'planner')}"}
_engine.dispose()
APP = create_app(CFG, run_jobs=False)
CLIENT = TestClient(APP)  # serves the generated requests
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


#: Bodies the schema allows can still be refused for what it cannot express (an unknown area
#: or point, a scenario breaking a rule across fields): that is a 4xx naming the field, not a
#: failure, so "schema-valid data is accepted" is the one default check left out.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_valid_responses(case):
    case.call_and_validate(headers=HEADERS, excluded_checks=EXCLUDED)
