"""The planner's siting and the compare panel, in headless Chromium on the bundled Hengshui data.

A planner picks a model from those the API lists, runs siting with a short time limit and
sees the new sites on the map, the coverage before and after, the places newly reached and
the coverage-vs-sites curve, each as the job's result says; the compare panel then puts the
coverage before and after side by side with their difference and the places each leaves out.
A viewer sees no siting form (the API refuses the job). Every request stays on the service;
the console has no errors.
"""

from __future__ import annotations

from tests.service.test_workspace_page import Watched, browser, server  # noqa: F401

#: A township tier with a 6.4-h target leaves half an hour of driving: some places are out
#: of reach before, and new sites reach some of them (small and quick to solve).
OPTIONS = {"p": "2", "target": "6.4", "seconds": "5"}


def test_planner_sites_depots_and_compares_before_and_after(server, browser):  # noqa: F811
    import httpx2 as httpx

    base, secrets = server
    head = {"Authorization": f"Bearer {secrets['planner']}"}
    w = Watched(browser, base)
    page = w.page
    w.log_in(secrets["planner"])
    page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    models = httpx.get(f"{base}/siting/models", headers=head, timeout=30).json()
    listed = page.locator("#site-model option").evaluate_all("os => os.map(o => o.value)")
    assert listed == [m["name"] for m in models]
    page.select_option("#area", "hengshui")
    page.select_option("#site-model", "mclp")
    page.select_option("#site-tier", "township")
    for key, value in OPTIONS.items():
        page.fill(f"#site-{key}", value)
    page.click("#run-site")
    page.wait_for_selector('#site-progress[data-status="done"]', timeout=120_000)
    page.wait_for_selector("#site-answer:not([hidden])", timeout=30_000)
    job = page.get_attribute("#site-answer", "data-job")
    got = httpx.get(f"{base}/jobs/{job}/result", headers=head, timeout=60).json()
    doc, places = got["siting"], [f["properties"] for f in got["places"]["features"]]
    assert (doc["model"], doc["p"], doc["target_h"], doc["tier"]) == ("mclp", 2, 6.4, "township")

    # The new sites on the map, listed by id; coverage before and after as the job says.
    assert doc["sites"], "half an hour of driving leaves places for new sites to reach"
    assert page.locator(".new-site").count() == len(doc["sites"])
    ids = page.locator("#site-list li").evaluate_all("ls => ls.map(l => l.dataset.id)")
    assert ids == [s["id"] for s in doc["sites"]]
    for cls, key in (("before", "coverage_before"), ("after", "coverage_after")):
        shown = float(page.get_attribute(f"#site-figures .{cls} .value", "data-share"))
        assert abs(shown - doc[key]) < 1e-12
    assert doc["coverage_after"] > doc["coverage_before"]
    newly = [p for p in places if p["reached_after"] and not p["reached_before"]]
    missed = [p for p in places if not p["reached_after"]]
    assert newly and page.locator("path.newly-reached").count() == len(newly)
    assert page.locator("path.not-reached").count() == len(missed)

    # The curve: a point per step p = 0..2 at the step's coverage.
    points = page.locator("svg.site-curve .curve-point").evaluate_all(
        "cs => cs.map(c => [Number(c.dataset.p), Number(c.dataset.coverage)])"
    )
    assert points == [[c["p"], c["coverage"]] for c in doc["curve"]]
    assert [c["p"] for c in doc["curve"]] == [0, 1, 2]

    # The compare panel: before (A) and after (B), people reached within 6.4 h and the
    # difference, counted from the places; the places each leaves out.
    page.wait_for_selector("#compare:not([hidden])")
    row = page.locator('#compare-table tbody tr[data-measure="covered"]')
    assert row.count() == 1 and row.get_attribute("data-hours") == "6.4"
    before = sum(p["people"] for p in places if p["reached_before"])
    after = sum(p["people"] for p in places if p["reached_after"])
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == f"{before:,}" and cells[3] == f"{after:,}"
    assert int(row.locator("td.diff").get_attribute("data-diff")) == after - before > 0
    left = [page.get_attribute(f"#compare-left-{s}", "data-count") for s in "ab"]
    assert left == [str(len(places) - sum(p["reached_before"] for p in places)), str(len(missed))]
    page.click("#lang")
    assert "People reached within the target" in page.inner_text("#compare-table")
    assert "Coverage by number of new sites" in page.inner_text("#siting")

    # Nothing but this service was asked for; the console has no errors.
    assert w.requests and all(u.startswith(base + "/") for u in w.requests), w.requests
    assert not w.errors, w.errors
    page.close()


def test_a_viewer_sees_no_siting_and_the_api_refuses_it(server, browser):  # noqa: F811
    import httpx2 as httpx

    base, secrets = server
    w = Watched(browser, base)
    w.log_in(secrets["viewer"])
    w.page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    assert not w.page.is_visible("#siting") and not w.page.is_visible("#run-site")
    r = httpx.post(
        f"{base}/jobs",
        json={"kind": "site", "area": "hengshui", "options": {"p": 1}},
        headers={"Authorization": f"Bearer {secrets['viewer']}"},
        timeout=30,
    )
    assert r.status_code == 403
    assert not w.errors, w.errors
    w.page.close()
