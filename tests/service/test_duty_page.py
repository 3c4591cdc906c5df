"""The duty officer's dispatch in the workspace, in headless Chromium on the bundled Hengshui data.

A duty officer logs in, makes a plan of ``hengshui-example`` (a short search), and sees it as
routes on the map (one colour per vehicle, along the roads) and as a timeline with the 10-h
and 12-h lines; opens and prints the driver sheets, downloads the workbook; closes a road by
clicking it on the map and re-dispatches; the page shows what changed as the API says. A
viewer sees none of it. Every request stays on the service; the console has no errors.
"""

from __future__ import annotations

import math

from tests.service.test_workspace_page import Watched, browser, server  # noqa: F401

#: Short searches keep the test small on a shared CI machine (the plans still exist).
PLAN_SECONDS = 2


def _bars(plan):
    """The timeline's bars the plan calls for: each part of each trip that takes time."""
    parts = [
        ("load_start_h", "loaded_by_h"),
        ("leave_h", "arrive_h"),
        ("arrive_h", "depart_h"),
        ("depart_h", "back_h"),
    ]
    stops = [s for r in plan["routes"] for s in r["stops"]] + list(plan.get("committed") or [])
    return sum(1 for s in stops for a, b in parts if a in s and b in s and s[b] > s[a])


def _vehicles(plan):
    return {r["vehicle"] for r in plan["routes"] if r["stops"]} | {
        s["vehicle"] for s in plan.get("committed") or []
    }


def test_duty_officer_plans_prints_and_redispatches(server, browser, tmp_path):  # noqa: F811
    import httpx2 as httpx
    from openpyxl import load_workbook

    base, secrets = server
    head = {"Authorization": f"Bearer {secrets['duty_officer']}"}
    w = Watched(browser, base)
    page = w.page
    w.log_in(secrets["duty_officer"])
    page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    assert page.inner_text("#who-role") == "值班人员"
    assert page.is_visible("#run-dispatch")
    page.select_option("#area", "hengshui")
    page.select_option("#scenario", "hengshui-example")
    page.fill("#duty-seconds", str(PLAN_SECONDS))
    page.click("#run-dispatch")
    page.wait_for_selector('#duty-progress[data-status="done"]', timeout=240_000)
    page.wait_for_selector("#duty-plan[data-drawn-ms]", timeout=60_000)
    job = page.get_attribute("#duty-plan", "data-job")
    result = httpx.get(f"{base}/jobs/{job}/result", headers=head, timeout=60).json()
    plan = result["plan"]

    # Routes: one line per vehicle with legs, each its own colour, along the roads.
    with_legs = {f["properties"]["vehicle"] for f in result["routes"]["features"]}
    routes = page.locator("path.route")
    assert routes.count() == len(with_legs) > 0
    drawn = routes.evaluate_all("ps => ps.map(p => [p.dataset.vehicle, p.getAttribute('stroke')])")
    assert {v for v, _ in drawn} == with_legs
    assert len({c for _, c in drawn}) == len(drawn)
    points = routes.evaluate_all(
        "ps => ps.map(p => (p.getAttribute('d').match(/L/g) || []).length)"
    )
    assert max(points) > 3  # a road path, not a straight line from depot to shelter

    # The timeline: a row per vehicle, a bar per part of each trip, the 10-h and 12-h lines.
    assert int(page.get_attribute(".gantt-chart", "data-rows")) == len(_vehicles(plan))
    assert page.locator("rect.bar").count() == _bars(plan)
    hours = page.locator("line.target-line").evaluate_all("ls => ls.map(l => l.dataset.hours)")
    assert sorted(float(h) for h in hours) == [10.0, 12.0]
    page.locator("rect.bar.drive").first.click()
    assert "→" in page.inner_text("#gantt-info")
    # The figures: the plan beside the bound, as the job says.
    first = plan["kpis"]["targets"][0]
    text = page.inner_text('.duty-target[data-hours="10"]')
    assert f"{first['people_met']:,}" in text and "任何计划至多" in text

    # The driver sheets open in the page and print; the workbook downloads.
    page.click("#open-sheets")
    page.wait_for_selector("#paper-wait:not([hidden])")  # made once, on the first ask
    page.wait_for_selector("#paper-dialog[open]", timeout=240_000)
    frame = page.frame_locator("#paper-frame")
    frame.locator("body").wait_for(timeout=60_000)
    assert "司机调度单" in frame.locator("body").inner_text()
    page.evaluate(
        "() => { const w = document.querySelector('#paper-frame').contentWindow;"
        " window.printed = 0; w.print = () => { window.printed += 1; }; }"
    )
    page.click("#paper-print")
    assert page.evaluate("window.printed") == 1
    page.click("#paper-close")
    with page.expect_download(timeout=60_000) as got:
        page.click("#download-xlsx")
    xlsx = tmp_path / "sheets.xlsx"
    got.value.save_as(xlsx)
    book = load_workbook(xlsx)
    assert len(book.sheetnames) >= 4

    # Re-dispatch: close a road a later trip drives on, clicked on the map.
    at_h = math.ceil(min(s["leave_h"] for r in plan["routes"] for s in r["stops"])) + 1
    later = next(
        f
        for f in result["routes"]["features"]
        if f["properties"]["leg"] == "delivery"
        and f["properties"]["leave_h"] > at_h
        and len(f["geometry"]["coordinates"]) > 4
    )
    lon, lat = later["geometry"]["coordinates"][len(later["geometry"]["coordinates"]) // 2]
    page.fill("#rd-at", str(at_h))
    page.click("#pick-road")
    page.wait_for_selector("#pick-hint:not([hidden])")
    page.evaluate(f"ws.map.setView([{lat}, {lon}], 14, {{animate: false}})")
    spot = page.evaluate(
        f"(() => {{ const p = ws.map.latLngToContainerPoint([{lat}, {lon}]);"
        " const b = ws.map.getContainer().getBoundingClientRect();"
        " return [b.left + p.x, b.top + p.y]; })()"
    )
    page.mouse.click(*spot)
    assert page.locator("path.closure").count() == 1
    assert page.locator("#rd-closures li").count() == 1
    page.click("#run-redispatch")
    page.wait_for_selector("#duty-changes:not([hidden])", timeout=240_000)
    new_job = page.get_attribute("#duty-plan", "data-job")
    assert new_job != job
    page.wait_for_selector(f'#duty-plan[data-job="{new_job}"][data-drawn-ms]')
    new = httpx.get(f"{base}/jobs/{new_job}/result", headers=head, timeout=60).json()["plan"]
    closed = new["redispatch"]["closures"]
    assert len(closed) == 1 and abs(closed[0]["at"][0] - lon) < 1e-3
    changes = httpx.get(f"{base}/jobs/{new_job}/changes", headers=head, timeout=60).json()
    rows = page.locator("#changes-targets tbody tr")
    assert rows.count() == len(changes["targets"]) == 2
    for k, t in enumerate(new["kpis"]["targets"]):
        before = plan["kpis"]["targets"][k]["people_met"]
        cells = rows.nth(k).locator("td").all_inner_texts()
        assert f"{before:,}" in cells[1] and f"{t['people_met']:,}" in cells[2]
    listed = page.locator("#changes-vehicles li").evaluate_all(
        "ls => ls.map(l => [l.dataset.vehicle, l.dataset.change])"
    )
    assert listed == [[v["vehicle"], v["change"]] for v in changes["vehicles"]]
    assert listed, "closing a road on a later trip's way changes some vehicle's work"
    assert page.locator("line.at-line").count() == 1
    assert page.locator("rect.bar").count() == _bars(new)

    # Nothing but this service was asked for (the papers are blobs of its answers).
    origin = (base + "/", "blob:" + base + "/")
    assert w.requests and all(u.startswith(origin) for u in w.requests), w.requests
    assert not w.errors, w.errors
    page.close()


def test_a_viewer_sees_no_dispatch(server, browser):  # noqa: F811
    """The page hides dispatch from a viewer (the API refuses it: test_duty_api)."""
    base, secrets = server
    w = Watched(browser, base)
    w.log_in(secrets["viewer"])
    w.page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    assert not w.page.is_visible("#duty")
    assert not w.page.is_visible("#run-dispatch")
    assert not w.errors, w.errors
    w.page.close()
