"""The workspace at ``/`` in headless Chromium (Debian's, driven by Playwright; never downloaded).

A real server on 127.0.0.1 with the bundled Hengshui area: a planner logs in through the form,
runs the relief check on ``hengshui-example`` and reads both figures, the tables and the late
places on the map; a viewer sees no run button (and the API refuses the job); a wrong token is
answered next to the form in both languages. Every request stays on the service, the console
has no errors, and the Chinese labels are drawn with the served web font.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from service.api.app import create_app
from service.api.auth import create_token
from service.api.db import open_db
from service.api.settings import Settings
from tests.service.live_server import live_server
from tests.service.test_map_page import CHROMIUM

WEB_FONT = Path(__file__).parents[2] / "service" / "api" / "static" / "workspace" / "font.woff"
#: Short enough for CI on a shared 2-core machine; the plan still exists beside the bound.
PLAN_SECONDS = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not shutil.which("chromium"):
        if os.environ.get("RELIEF_REQUIRE_BROWSER"):
            pytest.fail("RELIEF_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("no chromium (.ci/run installs the Debian package)")
    tmp = tmp_path_factory.mktemp("workspace")
    cfg = Settings(db_url=f"sqlite:///{tmp / 'relief.db'}", data_dir=tmp / "data")
    engine, sessions = open_db(cfg.db_url)
    with sessions() as s:
        secrets = {
            "planner": create_token(s, "li", "planner"),
            "viewer": create_token(s, "wang", "viewer"),
            "duty_officer": create_token(s, "zhao", "duty_officer"),
        }
    engine.dispose()
    with live_server(create_app(cfg)) as base:
        yield base, secrets


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        yield b
        b.close()


class Watched:
    """A page with every request and console error recorded."""

    def __init__(self, browser, base):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.aborted: list[str] = []  # requests a test cut on purpose
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = base

    def _console(self, m):
        if m.type == "error" and (m.location or {}).get("url") not in self.aborted:
            self.errors.append(m.text)

    def cut_first_polls(self, n):
        """Let the first ``n`` polls of a job fail as a dropped connection would."""

        def flaky(route):
            if route.request.method == "GET" and len(self.aborted) < n:
                self.aborted.append(route.request.url)
                route.abort("connectionreset")
            else:
                route.continue_()

        self.page.route(re.compile(r".*/jobs/[^/]+$"), flaky)

    def log_in(self, secret):
        self.page.goto(self.base + "/")
        self.page.wait_for_selector('body[data-ready="login"]')
        self.page.fill('input[name="token"]', secret)
        self.page.click('#login-form button[type="submit"]')


def _percent(text):
    return float(text.strip().rstrip("%"))


def test_planner_runs_the_check_and_reads_both_figures(server, browser, tmp_path):
    """The two figures per target, the county table and the late places equal the job's report."""
    import httpx2 as httpx

    base, secrets = server
    w = Watched(browser, base)
    page = w.page
    start = time.perf_counter()
    w.log_in(secrets["planner"])
    shell_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    ready_s = time.perf_counter() - start
    assert page.inner_text("#who-role") == "规划人员"
    assert page.is_visible("#run-check")
    # The web font is loaded and every character shown is in it (no missing glyphs).
    page.wait_for_selector('body[data-fonts="1"]')
    assert page.evaluate("document.fonts.check('16px \"Relief Sans\"', '救灾物资工作台')")
    page.select_option("#area", "hengshui")
    page.select_option("#scenario", "hengshui-example")
    page.fill("#plan-seconds", str(PLAN_SECONDS))
    w.cut_first_polls(2)
    page.click("#run-check")
    # A dropped connection is said and retried; the job is followed to its end.
    page.wait_for_selector("#connection:not([hidden])", timeout=20_000)
    assert "正在重试" in page.inner_text("#connection")
    page.wait_for_selector('#job-progress[data-status="done"]', timeout=240_000)
    assert len(w.aborted) == 2 and not page.is_visible("#connection")
    page.wait_for_selector("#answer:not([hidden])")
    assert page.evaluate("document.querySelector('#job-progress').value") == 1

    job = page.get_attribute("#job-progress", "data-job")
    head = {"Authorization": f"Bearer {secrets['planner']}"}
    report = httpx.get(f"{base}/jobs/{job}/result", headers=head, timeout=30).json()["report"]
    cards = page.locator(".target")
    assert cards.count() == len(report["targets"]) == 2
    for k, target in enumerate(report["targets"]):
        card = cards.nth(k)
        assert float(card.get_attribute("data-hours")) == target["hours"]
        plan = card.locator(".figure.plan .value")
        bound = card.locator(".figure.bound .value")
        assert float(plan.get_attribute("data-share")) == target["plan_share_met"]
        assert float(bound.get_attribute("data-share")) == target["share_met"]
        assert abs(_percent(plan.inner_text()) - 100 * target["plan_share_met"]) <= 0.051
        assert abs(_percent(bound.inner_text()) - 100 * target["share_met"]) <= 0.051
    counties = page.locator("#county-table tbody tr")
    first = report["targets"][0]
    assert counties.count() == len(first["by_county"])
    assert sorted(page.locator("#county-table tbody tr td:first-child").all_inner_texts()) == (
        sorted(r["county"] for r in first["by_county"])
    )

    # Late places: one marker per place with people not met by the first target.
    short = [
        p
        for p in report["points"]
        if any(
            b["hours"] == first["hours"]
            and (b["people_met"] < p["people"] or b.get("plan_people_met", 0) < p["people"])
            for b in p["by_target"]
        )
    ]
    assert short, "hengshui-example has late places at 10 h"
    markers = page.locator("path.late")
    assert markers.count() == len(short)
    assert page.locator("#late-table tbody tr").count() == len(short)
    markers.first.click(force=True)
    page.wait_for_selector(".leaflet-popup .popup-reason")
    reason = page.inner_text(".leaflet-popup .popup-reason")
    assert reason.startswith("原因: ") and len(reason) > len("原因: ")
    assert page.is_visible("#legend")
    # The scenario's flood (0.8 m deep) is drawn, coloured by depth, with a depth legend.
    page.wait_for_selector("path.flood")
    assert "洪水水深" in page.inner_text("#map-legend")
    assert "0.6–1.5 m" in page.inner_text("#map-legend")

    # Every character on the page is in the served web font (Chinese is never drawn as boxes).
    cmap = TTFont(WEB_FONT).getBestCmap()
    shown = page.evaluate("document.documentElement.textContent")
    missing = {ch for ch in shown if not ch.isspace() and ord(ch) not in cmap}
    assert not missing, f"characters missing from font.woff: {sorted(missing)}"
    page.screenshot(path=str(tmp_path / "workspace.png"))
    if os.environ.get("RELIEF_WORKSPACE_SHOT"):  # for docs/: the page as a planner sees it
        page.screenshot(path=os.environ["RELIEF_WORKSPACE_SHOT"])

    # English on request: the same figures, English words.
    page.click("#lang")
    assert page.inner_text(".target .figure.plan .label").strip() == "Plan"
    assert page.inner_text("#who-role") == "planner"
    assert "%" in page.inner_text(".target .figure.bound .value")

    # Nothing but this service was asked for; the full font was not needed; no console error.
    assert w.requests and all(u.startswith(base + "/") for u in w.requests), w.requests
    assert not [u for u in w.requests if "NotoSansSC-Subset.otf" in u]
    assert not w.errors, w.errors
    print(f"\nworkspace shell loaded in {shell_ms:.0f} ms; logged in, area drawn: {ready_s:.2f} s")
    page.close()


def test_viewer_sees_no_run_button_and_the_api_refuses(server, browser):
    """A viewer is shown the role and no run button; a check posted anyway is refused (403)."""
    import httpx2 as httpx

    base, secrets = server
    w = Watched(browser, base)
    w.log_in(secrets["viewer"])
    w.page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    assert w.page.inner_text("#who-role") == "只读用户"
    assert not w.page.is_visible("#run-check")
    assert not w.page.is_visible("#plan-seconds")
    assert w.page.is_visible("#readonly-note")
    # Scenarios are still listed to read (stored and library).
    assert "hengshui-example" in w.page.eval_on_selector_all(
        "#scenario option", "os => os.map(o => o.value)"
    )
    # Stock is shown, not editable.
    assert w.page.locator("#stock-table tbody input").count() > 0
    assert w.page.locator("#stock-table tbody input:enabled").count() == 0
    assert w.page.locator("#stock-table button.save, #shelter-table button.save").count() == 0
    assert w.page.locator("#shelter-table tbody input:enabled").count() == 0
    head = {"Authorization": f"Bearer {secrets['viewer']}"}
    body = {"kind": "check", "area": "hengshui", "scenario": "hengshui-example"}
    r = httpx.post(f"{base}/jobs", json=body, headers=head)
    assert r.status_code == 403 and r.json()["problem_zh"]
    assert not w.errors, w.errors
    w.page.close()


def test_a_wrong_token_is_answered_next_to_the_form_and_logout_forgets(server, browser):
    """A wrong token, a refused option and a token refused mid-session are answered in both
    languages next to what caused them; logging out forgets the token."""
    base, secrets = server
    w = Watched(browser, base)
    page = w.page
    w.log_in("not-a-token")
    page.wait_for_selector("#login-error:not([hidden])", timeout=20_000)
    message = page.inner_text("#login-error")
    assert "令牌无效" in message and "wrong or has expired" in message
    assert page.evaluate("sessionStorage.getItem('relief.token')") is None
    assert page.is_visible('input[name="token"]') and not page.is_visible("#workspace")

    page.fill('input[name="token"]', secrets["planner"])
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    assert page.evaluate("sessionStorage.getItem('relief.token')") == secrets["planner"]
    page.reload()  # the token lasts the tab's session
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)

    # A refused option is named next to the form in both languages; the input is kept.
    page.fill("#plan-seconds", "9999")
    page.click("#run-check")
    page.wait_for_selector("#job-error:not([hidden])", timeout=20_000)
    problem = page.inner_text("#job-error")
    assert "options.plan_seconds" in problem and re.search(r"[\u4e00-\u9fff]", problem)
    assert page.input_value("#plan-seconds") == "9999"

    # A token refused mid-session leads back to the form with the reason.
    page.evaluate("sessionStorage.setItem('relief.token', 'revoked')")
    page.fill("#plan-seconds", "1")
    page.click("#run-check")
    page.wait_for_selector("#login-error:not([hidden])", timeout=20_000)
    assert "令牌无效" in page.inner_text("#login-error")
    assert page.evaluate("sessionStorage.getItem('relief.token')") is None

    page.fill('input[name="token"]', secrets["planner"])
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    page.click("#logout")
    assert page.evaluate("sessionStorage.getItem('relief.token')") is None
    assert page.is_visible('input[name="token"]') and not page.is_visible("#workspace")
    assert page.input_value('input[name="token"]') == ""
    page.close()


def _stale_then_saved(page, table, url, field, other, read):
    """Change a row's record behind the page's back, save over it, reload, save again."""
    import httpx2 as httpx

    row = page.locator(f"{table} tbody tr[data-key]").first
    key = row.get_attribute("data-key")
    box = row.locator("input")
    read_at = int(box.get_attribute("data-version"))
    r = httpx.put(url(key), json={field: 4321, "expected_version": read_at}, headers=other)
    assert r.status_code == 200, r.text
    box.fill("1234")
    row.locator("button.save").click()
    msg = page.locator(f"{table} .row-message.stale")
    msg.wait_for(timeout=20_000)
    text = msg.inner_text()
    assert "zhao" in text and "4321" in text and "1234" in text and "已被他人修改" in text
    assert "Changed meanwhile" in text
    assert box.input_value() == "1234"  # nothing typed is lost
    msg.locator("button.reload").click()
    row = page.locator(f'{table} tbody tr[data-key="{key}"]')
    assert row.locator("input").input_value() == "4321"
    row.locator("input").fill("1234")
    row.locator("button.save").click()
    page.locator(f"{table} .row-message.saved").wait_for(timeout=20_000)
    assert read(key) == 1234


def test_stale_edits_say_who_changed_them_and_offer_to_reload(server, browser):
    """A save of stock or shelter capacity on a version changed meanwhile is a 409 shown by the
    row with who changed it (from the audit trail) and what it is now; the typed value stays
    until Reload; a save on the fresh version is stored."""
    import httpx2 as httpx

    base, secrets = server
    w = Watched(browser, base)
    page = w.page
    w.log_in(secrets["planner"])
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    other = {"Authorization": f"Bearer {secrets['duty_officer']}"}
    area = f"{base}/areas/hengshui"
    depot = page.input_value("#stock-depot")

    def stock(item):
        depots = httpx.get(f"{area}/depots", headers=other).json()
        return next(d for d in depots if d["id"] == depot)["stock"][item]

    def capacity(point):
        shelters = httpx.get(f"{area}/shelters", headers=other).json()
        return next(s for s in shelters if s["id"] == point)["capacity"]

    _stale_then_saved(
        page, "#stock-table", lambda k: f"{area}/depots/{depot}/stock/{k}", "quantity", other, stock
    )
    _stale_then_saved(
        page, "#shelter-table", lambda k: f"{area}/shelters/{k}", "capacity", other, capacity
    )
    page.close()


def test_the_map_explains_itself_and_a_job_is_cancelled_from_the_page(server, browser):
    """The legend lists the area's own layers (Chinese first, English on the toggle) and each
    is drawn; a scale bar is shown. A check with a long plan time shows Cancel while it runs;
    a click cancels it: the page and ``GET /jobs/{id}`` both say cancelled, and polling stops."""
    import httpx2 as httpx

    base, secrets = server
    w = Watched(browser, base)
    page = w.page
    w.log_in(secrets["planner"])
    page.wait_for_selector('body[data-ready="1"]', timeout=20_000)
    page.wait_for_selector('#map-legend[data-drawn="1"]', timeout=30_000)
    head = {"Authorization": f"Bearer {secrets['planner']}"}

    def layer(name):
        r = httpx.get(f"{base}/areas/hengshui/layers/{name}", headers=head, timeout=60)
        return r.json()["features"]

    legend = page.inner_text("#map-legend")
    for zh in (
        "图例",
        "县(市、区)界",
        "高速公路",
        "国道",
        "乡道",
        "河流",
        "县级储备库",
        "避难场所",
    ):
        assert zh in legend, (zh, legend)
    rivers, shelters, depots = layer("rivers"), layer("shelters"), layer("depots")
    assert page.locator("path.river").count() == len(rivers) > 0
    assert page.locator("path.shelter").count() == len(shelters) > 0
    assert page.locator("path.depot").count() == len(depots)
    assert page.locator("path.depot.tier-municipal").count() == sum(
        f["properties"]["tier"] == "municipal" for f in depots
    )
    page.locator('#map-legend [data-layer="shelters"] input').uncheck()
    assert page.locator("path.shelter").count() == 0
    scale = page.inner_text(".leaflet-control-scale-line")
    assert re.fullmatch(r"\d+ k?m", scale.strip()), scale
    page.click("#lang")
    legend = page.inner_text("#map-legend")
    assert "County boundaries" in legend and "Expressway" in legend and "Rivers" in legend
    assert "County depot" in legend and "图例" not in legend
    page.click("#lang")

    page.select_option("#scenario", "hengshui-example")
    page.fill("#plan-seconds", "300")
    page.click("#run-check")
    cancel = page.locator("#job button.job-cancel")
    cancel.wait_for(state="visible", timeout=20_000)
    assert cancel.inner_text() == "取消任务"
    job = page.get_attribute("#job-progress", "data-job")
    cancel.click()
    page.wait_for_selector('#job-progress[data-status="cancelled"]', timeout=30_000)
    assert page.inner_text("#job-stage").startswith("已取消")
    assert not cancel.is_visible() and not page.is_visible("#answer")
    assert httpx.get(f"{base}/jobs/{job}", headers=head).json()["status"] == "cancelled"
    polls = sum(u.endswith(f"/jobs/{job}") for u in w.requests)
    page.wait_for_timeout(1500)
    assert sum(u.endswith(f"/jobs/{job}") for u in w.requests) == polls  # polling stopped
    assert all(u.startswith(base + "/") for u in w.requests), w.requests
    assert not w.errors, w.errors
    page.close()
