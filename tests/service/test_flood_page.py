"""A planner's own flood and scenario from the workspace, in headless Chromium.

A polygon is drawn on the map with the mouse (clicks, a double-click closes it), given a depth,
saved through ``POST /areas/{area}/floods`` and ticked; the check then carries it in
``options.floods`` and its result holds the drawn water at that depth. A bow-tie drawn
the same way is refused next to the drawing controls in Chinese and English, its vertices kept
on the map. A broken scenario YAML is refused next to the upload control (the file stays
chosen); a good one is stored and picked in the scenario list. Every request stays on the
service; the console has no errors beyond the refusals provoked.
"""

from __future__ import annotations

import json

from fontTools.ttLib import TTFont

from scenarios.model import LIBRARY
from tests.service.test_drill_page import Refusable
from tests.service.test_workspace_page import WEB_FONT, browser, server  # noqa: F401

#: Metres: the drawn flood's depth, deep enough to close roads to every vehicle class.
DEPTH_M = 2.5


def _draw(page, corners, close):
    """Click ``corners`` (lat, lon) on the map; ``close``: "dblclick" on the last, or "finish"."""
    box = page.locator("#map").bounding_box()
    points = page.evaluate(
        "cs => cs.map(c => { const p = window.ws.map.latLngToContainerPoint(c);"
        " return [p.x, p.y]; })",
        corners,
    )
    page.click("#flood-draw")
    for k, (x, y) in enumerate(points):
        if close == "dblclick" and k == len(points) - 1:
            page.mouse.dblclick(box["x"] + x, box["y"] + y)
        else:
            page.mouse.click(box["x"] + x, box["y"] + y)
    if close == "finish":
        page.click("#flood-finish")


def test_a_drawn_flood_is_used_by_the_check_and_bad_input_is_said_where_it_was_made(
    server,  # noqa: F811
    browser,  # noqa: F811
):
    import httpx2 as httpx

    base, secrets = server
    w = Refusable(browser, base)
    page = w.page
    posted: list[dict] = []
    page.on(
        "request",
        lambda r: (
            posted.append(json.loads(r.post_data))
            if r.method == "POST" and r.url == base + "/jobs"
            else None
        ),
    )
    w.log_in(secrets["planner"])
    page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
    page.select_option("#area", "hengshui")
    page.select_option("#scenario", "hengshui-example")
    head = {"Authorization": f"Bearer {secrets['planner']}"}
    before = httpx.get(f"{base}/areas/hengshui/floods", headers=head).json()

    # A square around the middle of the map, closed with a double-click.
    c = page.evaluate("(() => { const m = window.ws.map.getCenter(); return [m.lat, m.lng]; })()")
    d = 0.03
    square = [
        [c[0] - d, c[1] - d],
        [c[0] - d, c[1] + d],
        [c[0] + d, c[1] + d],
        [c[0] + d, c[1] - d],
    ]
    _draw(page, square, "dblclick")
    assert page.get_attribute("#flood-vertices", "data-n") == "4"
    assert page.locator("path.flood-vertex").count() == 4
    page.fill("#flood-name", "drawn square")
    page.fill("#flood-depth", str(DEPTH_M))
    page.click("#flood-save")
    page.wait_for_selector("#flood-done:not([hidden])", timeout=20_000)
    layer = page.get_attribute("#flood-done", "data-layer")
    stored = httpx.get(f"{base}/areas/hengshui/floods", headers=head).json()
    assert [x["id"] for x in stored if x not in before] == [layer]
    assert page.is_checked(f'#flood-list input.flood-use[value="{layer}"]')
    assert page.locator("path.flood-vertex").count() == 0  # saved: the drawing is cleared

    # The check carries the ticked flood, and its result holds the drawn water.
    page.fill("#plan-seconds", "0")
    page.click("#run-check")
    page.wait_for_selector('#job-progress[data-status="done"]', timeout=120_000)
    assert posted[-1]["options"]["floods"] == [layer]
    job = page.get_attribute("#job-progress", "data-job")
    flood = httpx.get(f"{base}/jobs/{job}/result/flood", headers=head, timeout=30).json()
    depths = [f["properties"]["depth_m"] for f in flood["features"]]
    assert DEPTH_M in depths and len(depths) >= 2  # the scenario's flood and the drawn one
    page.wait_for_selector("path.flood")
    assert page.locator("path.flood").count() == len(depths)

    # A bow-tie (edges crossing) is refused next to the controls; its vertices stay.
    bowtie = [square[0], square[2], square[1], square[3]]
    _draw(page, bowtie, "finish")
    page.click("#flood-save")
    page.wait_for_selector("#flood-error:not([hidden])", timeout=20_000)
    text = page.inner_text("#flood-error")
    assert "自相交" in text and "must not cross" in text and "[geometry]" in text
    assert text.index("自相交") < text.index("must not cross")  # Chinese first
    assert page.get_attribute("#flood-vertices", "data-n") == "4"
    assert page.locator("path.flood-vertex").count() == 4
    assert page.input_value("#flood-depth") == str(DEPTH_M)
    cmap = TTFont(WEB_FONT).getBestCmap()  # the refusal is drawn in the served web font
    assert not {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}
    assert len(httpx.get(f"{base}/areas/hengshui/floods", headers=head).json()) == len(stored)

    # A scenario YAML: a broken one is refused by its control, a good one listed and picked.
    page.set_input_files(
        "#scenario-file",
        {"name": "broken.yaml", "mimeType": "application/yaml", "buffer": b"name: [unclosed\n"},
    )
    page.click("#scenario-upload-go")
    page.wait_for_selector("#scenario-upload-error:not([hidden])", timeout=20_000)
    text = page.inner_text("#scenario-upload-error")
    assert "YAML 格式错误" in text and "not valid YAML" in text
    assert page.evaluate("document.querySelector('#scenario-file').files.length") == 1
    assert page.input_value("#scenario-save-name") == "broken"
    page.set_input_files(
        "#scenario-file",
        {
            "name": "mine.yaml",
            "mimeType": "application/yaml",
            "buffer": (LIBRARY / "hengshui-example.yaml").read_bytes(),
        },
    )
    page.fill("#scenario-save-name", "my-upload")
    page.click("#scenario-upload-go")
    page.wait_for_selector("#scenario-upload-done:not([hidden])", timeout=20_000)
    assert page.input_value("#scenario") == "my-upload"
    assert page.is_hidden("#scenario-upload-error")

    assert all(u.startswith(base + "/") for u in w.requests), w.requests
    assert not w.errors, w.errors
    page.close()
