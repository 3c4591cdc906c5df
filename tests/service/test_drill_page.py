"""A drill played from the workspace in headless Chromium, on the bundled Hengshui exercise.

A planner (a drill controller) prepares ``hengshui-exercise`` and starts it; a duty officer orders a
trip through the form filled from ``GET /drills/{id}/state``: the API's refusals (a negative
quantity, a truck overloaded) are shown next to the field they name, and the trip ordered
is listed; an inject released by the controller reaches the player's page; the controller
ends and scores the drill, and both see the players' figures beside the optimiser's (those of
the score job) and step through the log. Every request stays on the service and the console
has no errors beyond the refusals the test provokes.
"""

from __future__ import annotations

import os
import time

from tests.service.test_workspace_page import Watched, browser, server  # noqa: F401

#: The optimiser's time per plan when scoring: short for CI on a shared 2-core machine.
SCORE_SECONDS = 1


class Refusable(Watched):
    """A watched page on which the refusals a test provokes (by status) are not errors."""

    def __init__(self, chromium, base, expected=("422",)):
        super().__init__(chromium, base)
        self.expected = expected

    def _console(self, m):
        provoked = "Failed to load resource" in m.text and any(
            f"status of {code}" in m.text for code in self.expected
        )
        if m.type == "error" and not provoked:
            self.errors.append(m.text)


def _enter(chromium, base, secret):
    w = Refusable(chromium, base)
    w.log_in(secret)
    w.page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    return w


def _refused_at(page, field):
    """The refusal shown in the slot for ``field``: Chinese, English and the field."""
    slot = page.locator(f'#drill .field-problem[data-field="{field}"]')
    slot.wait_for(state="visible", timeout=20_000)
    text = slot.inner_text()
    assert field in text and "\n" in text, text  # both languages, the field named
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    return text


def test_a_drill_played_from_the_page_to_its_score(server, browser):  # noqa: F811
    import httpx2 as httpx

    base, secrets = server
    boss = _enter(browser, base, secrets["planner"])  # a planner may control drills
    page = boss.page
    w = _enter(browser, base, secrets["duty_officer"])  # logged in before the drill exists
    me = w.page
    assert page.is_visible("#drill-create") and page.inner_text("#who-role") == "规划人员"
    page.select_option("#area", "hengshui")
    page.select_option("#drill-scenario", "hengshui-exercise")
    page.click("#drill-create")
    page.wait_for_selector('#drill-view[data-status="ready"]', timeout=60_000)
    drill = page.get_attribute("#drill-view", "data-id")
    assert page.inner_text("#drill-pending") == "3"
    page.click("#drill-start")
    page.wait_for_selector('#drill-view[data-status="running"]', timeout=20_000)

    # The player: no controls, the form filled from the state (vehicles with their depot).
    assert not me.is_visible("#drill-create")
    me.click("#drill-list")
    me.select_option("#drill-pick", drill)
    me.wait_for_selector("#drill-order:not([hidden])", timeout=30_000)
    assert not me.is_visible("#drill-start") and not me.is_visible("#drill-end")
    head = {"Authorization": f"Bearer {secrets['duty_officer']}"}
    state = httpx.get(f"{base}/drills/{drill}/state", headers=head, timeout=60).json()
    usable = [v["id"] for v in state["vehicles"] if v["status"] in ("free", "busy")]
    options = me.eval_on_selector_all(
        "#order-vehicle option:not([disabled])", "os => os.map(o => o.value)"
    )
    assert sorted(options) == sorted(usable) and options
    vehicle = options[0]
    places = me.eval_on_selector_all(".stop-point option", "os => os.map(o => o.value)")
    assert places == [n["place"] for n in state["needs"]]
    place = state["needs"][0]
    still = me.inner_text(".stop .stop-still")
    assert still.startswith("尚需") and len(still) > len("尚需: ")

    # A negative quantity is refused next to that item's box.
    me.select_option("#order-vehicle", vehicle)
    me.fill('input[name="stop-0-water"]', "-5")
    me.click("#order-submit")
    _refused_at(me, "trips[0].stops[0].items.water")
    # More water than the truck carries: refused next to the stops, the input kept.
    me.fill('input[name="stop-0-water"]', "1000000")
    me.click("#order-submit")
    text = _refused_at(me, "trips[0].stops")
    assert vehicle in text
    assert not me.is_visible('#drill .field-problem[data-field="trips[0].stops[0].items.water"]')
    assert me.input_value('input[name="stop-0-water"]') == "1000000"
    # A load it carries is ordered and listed, and the place's need goes down by it.
    me.fill('input[name="stop-0-water"]', "200")
    me.click("#order-submit")
    me.wait_for_selector("#order-done:not([hidden])", timeout=30_000)
    me.wait_for_selector("#drill-trips tbody tr[data-status]", timeout=20_000)
    assert me.locator("#drill-trips tbody tr[data-status]").count() == 1
    after = httpx.get(f"{base}/drills/{drill}/state", headers=head, timeout=60).json()
    (ordered,) = after["trips"]
    assert ordered["vehicle"] == vehicle and ordered["player"] == "zhao"
    assert ordered["stops"][0]["point"] == place["place"]
    row = after["needs"][0]
    assert row["still"]["water"] == place["still"]["water"] - 200
    assert me.locator("path.drill-trip").count() == 1

    if os.environ.get("RELIEF_DRILL_SHOT"):  # the player's page after an order, for docs/
        me.screenshot(path=os.environ["RELIEF_DRILL_SHOT"], full_page=True)

    # The controller releases an inject: the player's page shows it by itself.
    page.click("#drill-release")
    page.wait_for_selector("#drill-released li[data-index]", timeout=20_000)
    me.wait_for_selector("#drill-released li[data-index]", timeout=20_000)
    assert me.inner_text("#drill-released li[data-index]") == page.inner_text(
        "#drill-released li[data-index]"
    )

    # End and score: the score job's figures, players beside the optimiser, on both pages.
    page.click("#drill-end")
    page.wait_for_selector('#drill-view[data-status="ended"]', timeout=20_000)
    page.fill("#drill-score-seconds", str(SCORE_SECONDS))
    started = time.perf_counter()
    page.click("#drill-score-run")
    page.wait_for_selector('#drill-score-progress[data-status="done"]', timeout=300_000)
    score_s = time.perf_counter() - started
    page.wait_for_selector("#drill-score:not([hidden])")
    job = page.get_attribute("#drill-score-progress", "data-job")
    ctl = {"Authorization": f"Bearer {secrets['planner']}"}
    result = httpx.get(f"{base}/jobs/{job}", headers=ctl, timeout=30).json()["result"]
    score = httpx.get(f"{base}{result}", headers=ctl, timeout=60).json()
    for view in (page, me):
        view.wait_for_selector("#drill-score:not([hidden])", timeout=30_000)
        rows = view.locator("#drill-score-table tbody tr")
        assert rows.count() == len(score["players"]["targets"]) == 2
        for k, (mine, best) in enumerate(
            zip(score["players"]["targets"], score["optimiser"]["targets"], strict=True)
        ):
            row = rows.nth(k)
            assert float(row.get_attribute("data-hours")) == mine["hours"]
            assert float(row.locator(".players").get_attribute("data-share")) == mine["share_met"]
            assert (
                float(row.locator(".optimiser").get_attribute("data-share")) == (best["share_met"])
            )

    # The replay steps back through the log: before the order, no trip on the map.
    me.wait_for_selector("#drill-replay:not([hidden])")
    kinds = me.eval_on_selector_all("#drill-events li", "ls => ls.map(l => l.dataset.kind)")
    assert kinds == ["created", "started", "decision", "released", "ended", "scored"]
    assert me.locator("path.drill-trip").count() == 1
    for _ in range(len(kinds) - kinds.index("decision")):
        me.click("#replay-prev")
    assert me.get_attribute("#replay-step", "data-step") == str(kinds.index("decision") - 1)
    assert me.locator("path.drill-trip").count() == 0
    me.click("#replay-next")
    assert me.locator("path.drill-trip").count() == 1

    for watched in (boss, w):
        assert all(u.startswith(base + "/") for u in watched.requests), watched.requests
        assert not watched.errors, watched.errors
    print(f"\nscore job (optimiser {SCORE_SECONDS} s per plan): {score_s:.1f} s")
    page.close()
    me.close()
