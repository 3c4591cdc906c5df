"""The map page in headless Chromium (Debian's, driven by Playwright; never downloaded).

A real server on 127.0.0.1 runs a relief check on the tiny area; the page draws the depots
by tier, the places coloured by hours to needs met, the flood, and a bilingual legend.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from service.api.app import create_app
from service.api.auth import create_token
from service.api.db import open_db
from service.api.settings import Settings
from tests.service.live_server import live_server
from tests.service.test_api import dispatch_scenario

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def server(tmp_path, tiny_gpkg):
    if not shutil.which("chromium"):
        if os.environ.get("RELIEF_REQUIRE_BROWSER"):
            pytest.fail("RELIEF_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("no chromium (.ci/run installs the Debian package)")
    cfg = Settings(
        db_url=f"sqlite:///{tmp_path / 'relief.db'}",
        data_dir=tmp_path / "data",
        areas={"tiny": tiny_gpkg},
    )
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        secret = create_token(s, "officer", "duty_officer")
    engine.dispose()
    with live_server(create_app(cfg)) as base:
        yield base, secret


def test_map_page_draws_a_check(server, tmp_path):
    import httpx2 as httpx
    from playwright.sync_api import sync_playwright

    base, secret = server
    head = {"Authorization": f"Bearer {secret}"}
    body = {"kind": "check", "area": "tiny", "scenario": dispatch_scenario()}
    job = httpx.post(f"{base}/jobs", json=body, headers=head).json()["id"]
    for _ in range(300):
        status = httpx.get(f"{base}/jobs/{job}", headers=head).json()["status"]
        if status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert status == "done"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ],
        )
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{base}/map?area=tiny&job={job}#token={secret}")
        page.wait_for_selector('#status[data-ready="1"]', timeout=20_000)
        status = page.locator("#status")
        assert status.get_attribute("data-depots") == "2"
        assert int(status.get_attribute("data-points") or 0) >= 1
        assert status.get_attribute("data-flood") == "1"
        legend = page.inner_text("#legend")
        assert "县级储备库" in legend and "county depot" in legend and "洪水范围" in legend
        assert page.locator("path.depot").count() == 2
        page.screenshot(path=str(tmp_path / "map.png"))
        # Nothing but this server was asked for (no CDN, no tiles).
        assert requests and all(u.startswith(base) for u in requests)
        # Without a token the page asks for one instead of failing silently.
        page.goto(f"{base}/map?area=tiny")
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_selector('#status[data-ready="error"]', timeout=20_000)
        assert page.is_visible("#token-form")
        browser.close()
    assert (tmp_path / "map.png").stat().st_size > 10_000
