"""Every error the service answers carries problem_zh, specific in Chinese; names are
printable text; the root URL leads to the documentation; job options are documented."""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("PUT", "/scenarios/a%00b", {"body": {}}, "name"),
        ("PUT", "/scenarios/a%0Ab", {"body": {}}, "name"),
        ("POST", "/areas/tiny/floods?name=a%09b", None, "name"),
        (
            "POST",
            "/areas/tiny/depots",
            {"id": "X1", "name": "new\x00depot", "tier": "county", "lon": 115.6, "lat": 37.7},
            "name",
        ),
        (
            "POST",
            "/areas/tiny/depots",
            {
                "id": "X1",
                "name": "ok",
                "county": "a\nb",
                "tier": "county",
                "lon": 115.6,
                "lat": 37.7,
            },
            "county",
        ),
    ],
)
def test_names_with_control_characters_are_refused(module_service, method, url, body, field):
    client, heads, _ = module_service
    r = client.request(method, url, json=body, headers=heads["planner"])
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert "control characters" in r.json()["problem"] and "控制字符" in r.json()["problem_zh"]
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    assert [s for s in listed if s["source"] == "stored"] == []


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("GET", "/nowhere", None, 404),
        ("GET", "/jobs/no-such-job", None, 404),
        ("GET", "/areas/atlantis/depots", None, 404),
        ("DELETE", "/areas", None, 405),
        ("POST", "/jobs", b"{not json", 422),
        ("POST", "/jobs", b"\xff\xfe", 422),
        ("POST", "/jobs", {"kind": "check", "area": "tiny", "scenario": "x", "options": []}, 422),
        (
            "POST",
            "/jobs",
            {
                "kind": "dispatch",
                "area": "tiny",
                "scenario": "hengshui-example",
                "options": {"time_limit": 5},
            },
            422,
        ),
        (
            "POST",
            "/jobs",
            {"kind": "check", "area": "tiny", "scenario": "x", "options": {"floods": [3]}},
            422,
        ),
    ],
)
def test_every_error_has_a_specific_chinese_text(module_service, method, url, body, status):
    client, heads, _ = module_service
    kw = {"content": body} if isinstance(body, bytes) else {"json": body}
    if isinstance(body, bytes):
        kw["headers"] = {**heads["planner"], "Content-Type": "application/json"}
    else:
        kw["headers"] = heads["planner"]
    r = client.request(method, url, **kw)
    assert r.status_code == status, r.text
    zh = r.json()["problem_zh"]
    assert zh and CJK.search(zh) and zh != "输入无效", r.text


def test_an_unknown_job_option_names_the_known_ones(module_service):
    client, heads, _ = module_service
    body = {"kind": "dispatch", "area": "tiny", "scenario": "x", "options": {"time_limit": 5}}
    r = client.post("/jobs", json=body, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["field"] == "options.time_limit"
    assert "time_limit_s" in r.json()["problem"] and "time_limit_s" in r.json()["problem_zh"]
    body["options"] = {"floods": [3]}
    r = client.post("/jobs", json=body, headers=heads["planner"])
    assert r.json()["field"] == "options.floods[0]" and r.json()["problem_zh"] == "须为文本"


def test_the_root_url_is_the_workspace(module_service):
    client, _, _ = module_service
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 200 and 'name="token"' in r.text and "/docs" not in r.text


def test_job_options_are_in_the_openapi_schema(module_service):
    client, _, _ = module_service
    doc = client.get("/openapi.json").json()
    options = doc["components"]["schemas"]["JobIn"]["properties"]["options"]
    assert {r["$ref"].rsplit("/", 1)[1] for r in options["anyOf"]} == {
        "CheckOptions",
        "DispatchOptions",
        "SiteOptions",
    }
    dispatch = doc["components"]["schemas"]["DispatchOptions"]["properties"]
    assert {"time_limit_s", "engine", "floods", "trips"} <= set(dispatch)


def test_an_unexpected_error_is_a_500_with_problem_zh(tmp_path, tiny_gpkg, monkeypatch):
    """A bug answers JSON with problem_zh, not a bare text page or a traceback."""
    from fastapi.testclient import TestClient

    from service.api import registry
    from service.api.app import create_app
    from tests.service.test_api import settings, tokens

    cfg = settings(tmp_path, tiny_gpkg, f"sqlite:///{tmp_path / 'r.db'}")
    heads = tokens(cfg)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(registry, "registry_version", broken)
    monkeypatch.setattr("service.api.routes_registry.registry_version", broken)
    with TestClient(create_app(cfg), raise_server_exceptions=False) as client:
        r = client.get("/areas/tiny/depots", headers=heads["viewer"])
    assert r.status_code == 500 and r.json()["problem_zh"] == "服务器内部错误"
    assert "secret internals" not in r.text
