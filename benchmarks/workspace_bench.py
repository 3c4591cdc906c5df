"""Benchmark family ``workspace``: the browser workspace at ``/`` in headless Chromium.

The service runs in its production form (one ``relief serve`` process on 127.0.0.1 with a
SQLite database, as ``service_bench`` starts it); Playwright drives the Debian Chromium (it
is never downloaded). Said and skipped when Playwright or Chromium is missing.

1. **Shell load** (``--loads`` cold loads, each in a new browser context, so nothing is
   cached): from navigation start to DOMContentLoaded, to the load event, and to the login
   form usable (``body[data-ready="login"]``: the form is shown and its handler attached),
   read in the page from the Navigation Timing entry and a MutationObserver installed before
   any script runs. Then, once, logging in until the area is drawn (``data-ready="1"``).
2. **A dispatch plan of >= ``--stops`` stops**, drawn in the duty view (``--draws`` times, each
   in a fresh logged-in page). The bundled scenarios' plans have fewer stops (hengshui-2023:
   about 290 with the greedy engine), so the benchmark makes a real dispatch job on
   ``--scenario`` through the API and then stores a finished job whose result is that plan
   with its routes repeated under new vehicle ids (``V-3#2``, ...) until it has enough stops:
   real road paths and trip times, more vehicles (rows) than the plan had. The page opens it
   as it opens every finished plan (``duty.show(job)``: GET the result, draw routes,
   timeline and figures). Timed: ``data-drawn-ms`` (result fetched, parsed, drawn and a
   frame painted), the page's long tasks (PerformanceObserver ``longtask``) and frame gaps
   (a ``requestAnimationFrame`` loop); "interactive" is the end of the last long task once
   the main thread has been quiet for 0.5 s (as Lighthouse's TTI). Probes after the draw: a
   click on a timeline bar (the handler picks out the vehicle) and zooming the map one
   step (every route path redrawn), each to the next painted frame.
3. **Page weight**: every script, style, font and the HTML the shell loads, as served
   (raw, and the bytes on the wire with ``Accept-Encoding: gzip``).

No peer is named for this (issue #16): the targets, shell under 1 s and a 500-stop plan
interactive under 2 s, are printed beside the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COLUMNS = [
    "case",
    "median_ms",
    "min_ms",
    "max_ms",
    "runs",
    "target_ms",
    "met",
    "raw_kB",
    "gzip_kB",
    "note",
]
REPO = Path(__file__).resolve().parent.parent
SHELL_TARGET_MS = 1000.0
PLAN_TARGET_MS = 2000.0
VIEWPORT = {"width": 1280, "height": 860}

#: Installed before any page script: when ``body[data-ready]`` first takes each value.
READY_PROBE = """
window.__ready = {};
new MutationObserver(() => {
  const v = document.body && document.body.dataset.ready;
  if (v && !(v in window.__ready)) { window.__ready[v] = performance.now(); }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
"""

#: Open a finished plan in the duty view and watch the main thread until it is quiet.
DRAW_PROBE = """
async (job) => {
  const tasks = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push(e); });
  obs.observe({ type: "longtask" });
  let gap = 0, last = performance.now(), running = true;
  const frame = (t) => {
    gap = Math.max(gap, t - last);
    last = t;
    if (running) { requestAnimationFrame(frame); }
  };
  requestAnimationFrame(frame);
  const painted = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
  const t0 = performance.now();
  await window.duty.show(job);
  const drawn = performance.now() - t0;
  // Quiet: 0.5 s without a long task (at most 15 s).
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 100));
    const end = tasks.length ? Math.max(...tasks.map((e) => e.startTime + e.duration)) : t0;
    if (performance.now() - Math.max(end, t0 + drawn) >= 500 || performance.now() - t0 > 15000) {
      break;
    }
  }
  running = false;
  obs.disconnect();
  const after = tasks.filter((e) => e.startTime + e.duration >= t0);
  const lastEnd = after.length ? Math.max(...after.map((e) => e.startTime + e.duration)) : t0;
  let c0 = performance.now();
  const bar = document.querySelector("rect.bar.drive");
  bar.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  await painted();
  const click = performance.now() - c0;
  c0 = performance.now();
  window.ws.map.setZoom(window.ws.map.getZoom() + 1, { animate: false });
  await painted();
  const zoom = performance.now() - c0;
  return {
    drawn_ms: drawn,
    drawn_attr_ms: Number(document.querySelector("#duty-plan").dataset.drawnMs),
    interactive_ms: Math.max(drawn, lastEnd - t0),
    long_tasks: after.length,
    longest_task_ms: after.length ? Math.max(...after.map((e) => e.duration)) : 0,
    blocking_ms: after.reduce((s, e) => s + Math.max(0, e.duration - 50), 0),
    longest_frame_gap_ms: gap,
    click_ms: click,
    zoom_ms: zoom,
    routes: document.querySelectorAll("path.route").length,
    bars: document.querySelectorAll("rect.bar").length,
    rows: Number(document.querySelector(".gantt-chart").dataset.rows),
  };
}
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loads", type=int, default=5, help="cold loads of the shell")
    parser.add_argument("--draws", type=int, default=3, help="draws of the large plan")
    parser.add_argument("--stops", type=int, default=500, help="least stops in the plan drawn")
    parser.add_argument("--scenario", default="hengshui-2023", help="bundled Hengshui scenario")
    parser.add_argument("--plan-seconds", type=float, default=2.0, help="the real plan's search")
    parser.add_argument(
        "--shot-dir",
        type=Path,
        default=None,
        help="save the real plan in the duty view here (workspace-duty.png)",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing_browser() -> str | None:
    """Why the browser half cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (the project's test dependencies)"
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").is_file()):
        return "no chromium (.ci/run installs the Debian package)"
    return None


@contextlib.contextmanager
def _service(tmp: Path) -> Iterator[tuple[str, str, str]]:
    """``relief serve`` on a free port: (base URL, database URL, a duty officer's secret)."""
    import httpx2 as httpx

    from service.api.auth import create_token
    from service.api.db import open_db

    db = f"sqlite:///{tmp / 'relief.db'}"
    engine, sessions = open_db(db)
    with sessions() as s:
        secret = create_token(s, "bench", "duty_officer")
    engine.dispose()
    port = _free_port()
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db", db]
    cmd += ["--data-dir", str(tmp / "data")]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, db, secret
    finally:
        server.terminate()
        server.wait(timeout=30)


def _real_plan(base: str, secret: str, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """A dispatch job on the bundled scenario, through the API: its id and result."""
    import httpx2 as httpx

    head = {"Authorization": f"Bearer {secret}"}
    body = {
        "kind": "dispatch",
        "area": "hengshui",
        "scenario": args.scenario,
        "options": {"engine": "greedy", "time_limit_s": args.plan_seconds},
    }
    job = httpx.post(f"{base}/jobs", json=body, headers=head, timeout=60).json()["id"]
    while True:
        status = httpx.get(f"{base}/jobs/{job}", headers=head, timeout=60).json()["status"]
        if status in ("done", "failed", "cancelled"):
            break
        time.sleep(0.5)
    if status != "done":
        raise RuntimeError(f"the dispatch job on {args.scenario} {status}")
    got: dict[str, Any] = httpx.get(f"{base}/jobs/{job}/result", headers=head, timeout=60).json()
    return job, got


def _stops(result: dict[str, Any]) -> int:
    return sum(len(r["stops"]) for r in result["plan"]["routes"])


def enlarged(result: dict[str, Any], stops: int) -> dict[str, Any]:
    """``result`` with its routes and route lines repeated under new vehicle ids.

    Copy ``k`` (from 2) of vehicle ``V`` is ``V#k``, with the same stops, times and road
    paths, until the plan has at least ``stops`` stops (whole copies of the plan).
    """
    have = _stops(result)
    if have == 0:
        raise RuntimeError("the real plan has no stops to repeat")
    copies = max(1, math.ceil(stops / have))
    out = copy.deepcopy(result)
    plan = out["plan"]
    routes = list(plan["routes"])
    features = list(out["routes"]["features"])
    for k in range(2, copies + 1):
        for r in result["plan"]["routes"]:
            routes.append({**copy.deepcopy(r), "vehicle": f"{r['vehicle']}#{k}"})
        for f in result["routes"]["features"]:
            g = copy.deepcopy(f)
            g["properties"]["vehicle"] = f"{f['properties']['vehicle']}#{k}"
            features.append(g)
    plan["routes"] = routes
    out["routes"]["features"] = features
    return out


def _store_finished_job(db: str, data_dir: Path, result: dict[str, Any]) -> str:
    """A finished dispatch job holding ``result``, as the job runner leaves one."""
    from service.api.db import Job, now, open_db

    job_id = str(uuid.uuid4())
    path = data_dir / "jobs" / f"{job_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result), encoding="utf-8")
    request = {"kind": "dispatch", "area": "hengshui", "scenario": "benchmark: repeated plan"}
    engine, sessions = open_db(db)
    with sessions() as s:
        s.add(
            Job(
                id=job_id,
                kind="dispatch",
                status="done",
                stage="done",
                progress=1.0,
                request=json.dumps(request),
                result_file=str(path),
                token="bench",
                started_at=now(),
                finished_at=now(),
            )
        )
        s.commit()
    engine.dispose()
    return job_id


def _shell_loads(browser: Any, base: str, n: int) -> tuple[list[dict[str, float]], set[str]]:
    """``n`` cold loads of ``/``; the timings and every URL the shell asked for."""
    out: list[dict[str, float]] = []
    urls: set[str] = set()
    for _ in range(n):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.add_init_script(READY_PROBE)
        page.on("request", lambda r: urls.add(r.url))
        page.goto(base + "/", wait_until="load")
        page.wait_for_selector('body[data-ready="login"]', timeout=30_000)
        page.wait_for_selector('body[data-fonts="1"]', timeout=30_000)
        t = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
            " login: window.__ready.login}; })()"
        )
        out.append({k: float(v) for k, v in t.items()})
        ctx.close()
    return out, urls


def _logged_in(browser: Any, base: str, secret: str) -> tuple[Any, Any, float]:
    """A new context and page, logged in as the duty officer, the area drawn."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(base + "/")
    page.wait_for_selector('body[data-ready="login"]', timeout=30_000)
    page.fill('input[name="token"]', secret)
    tic = time.perf_counter()
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
    entered = 1000 * (time.perf_counter() - tic)
    page.wait_for_load_state("networkidle")
    return ctx, page, entered


def _duty_shot(browser: Any, base: str, secret: str, job: str, folder: Path) -> None:
    """The real plan as a duty officer sees it: routes on the map and the timeline."""
    ctx, page, _ = _logged_in(browser, base, secret)
    page.evaluate("(job) => window.duty.show(job)", job)
    page.wait_for_selector(f'#duty-plan[data-job="{job}"][data-drawn-ms]')
    page.evaluate(
        "(() => { const b = window.duty.st.routes.getLayers().map((l) => l.getBounds());"
        " window.ws.map.fitBounds(b.reduce((a, x) => a.extend(x)), {animate: false}); })()"
    )
    page.locator("rect.bar.drive").first.click()
    page.wait_for_timeout(300)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "workspace-duty.png"))
    ctx.close()


def _weight(base: str, urls: set[str]) -> dict[str, tuple[int, int, int]]:
    """Per kind (scripts, styles, font, HTML): files, raw bytes, bytes sent gzipped."""
    import httpx2 as httpx

    kinds = {".js": "scripts", ".css": "styles", ".woff": "font", ".woff2": "font"}
    out: dict[str, tuple[int, int, int]] = {}
    for url in sorted(u for u in urls if u.startswith(base + "/")):
        path = url.split("?")[0]
        kind = next((v for k, v in kinds.items() if path.endswith(k)), None)
        if kind is None:
            if path.rstrip("/") != base:
                continue  # API answers (the login form's are none) are not page weight
            kind = "HTML"
        raw = len(httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=30).content)
        with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}, timeout=30) as r:
            wire = sum(len(b) for b in r.iter_raw())
        n, a, b = out.get(kind, (0, 0, 0))
        out[kind] = (n + 1, a + raw, b + wire)
    return out


def _row(case: str, values: list[float], target: float | None, note: str) -> dict[str, Any]:
    med = statistics.median(values)
    return {
        "case": case,
        "median_ms": med,
        "min_ms": min(values),
        "max_ms": max(values),
        "runs": len(values),
        "target_ms": target,
        "met": (med < target) if target is not None else None,
        "note": note,
        "values_ms": values,
    }


def _weight_row(case: str, files: int, raw: int, wire: int) -> dict[str, Any]:
    return {
        "case": case,
        "raw_kB": raw / 1000,
        "gzip_kB": wire / 1000,
        "note": f"{files} files; gzip: as sent with Accept-Encoding: gzip",
        "files": files,
        "raw_bytes": raw,
        "gzip_bytes": wire,
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    why = _missing_browser()
    if why is not None:
        print(f"[workspace] skipped: {why}", file=sys.stderr)
        return [{"case": "skipped", "note": why}]
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="relief-workspace-"))
    try:
        with _service(tmp) as (base, db, secret):
            print(f"[workspace] dispatch job on {args.scenario} ...", file=sys.stderr)
            real_job, real = _real_plan(base, secret, args)
            big = enlarged(real, args.stops)
            job = _store_finished_job(db, tmp / "data", big)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
                )
                print(f"[workspace] {args.loads} cold loads of / ...", file=sys.stderr)
                loads, urls = _shell_loads(browser, base, args.loads)
                cold = f"cold cache, median of {args.loads}"
                rows.append(_row("shell: DOMContentLoaded", [t["dcl"] for t in loads], None, cold))
                rows.append(_row("shell: load event", [t["load"] for t in loads], None, cold))
                rows.append(
                    _row(
                        "shell: login form usable",
                        [t["login"] for t in loads],
                        SHELL_TARGET_MS,
                        cold + "; from navigation start",
                    )
                )
                print(f"[workspace] {args.draws} draws of the plan ...", file=sys.stderr)
                draws: list[dict[str, float]] = []
                entered: list[float] = []
                for _ in range(args.draws):
                    ctx, page, ms = _logged_in(browser, base, secret)
                    entered.append(ms)
                    draws.append(page.evaluate(DRAW_PROBE, job))
                    ctx.close()
                if args.shot_dir is not None:
                    _duty_shot(browser, base, secret, real_job, args.shot_dir)
                browser.close()
            weights = _weight(base, urls)
        rows.append(
            _row(
                "log in to area drawn",
                entered,
                None,
                "submit to data-ready=1 (area layers fetched and drawn)",
            )
        )
        d0 = draws[0]
        plan_note = (
            f"{_stops(big)} stops ({_stops(real)} of a real {args.scenario} plan, repeated), "
            f"{int(d0['rows'])} vehicles, {int(d0['bars'])} bars, {int(d0['routes'])} route paths"
        )
        rows.append(
            _row("plan: drawn (data-drawn-ms)", [d["drawn_ms"] for d in draws], None, plan_note)
        )
        rows.append(
            _row(
                "plan: interactive",
                [d["interactive_ms"] for d in draws],
                PLAN_TARGET_MS,
                "end of the last long task, then 0.5 s quiet",
            )
        )
        rows.append(
            _row(
                "plan: longest long task",
                [d["longest_task_ms"] for d in draws],
                None,
                "long tasks: "
                + ", ".join(str(int(d["long_tasks"])) for d in draws)
                + "; blocking ms: "
                + ", ".join(f"{d['blocking_ms']:.0f}" for d in draws),
            )
        )
        rows.append(
            _row(
                "plan: longest frame gap",
                [d["longest_frame_gap_ms"] for d in draws],
                None,
                "rAF loop",
            )
        )
        rows.append(
            _row(
                "after: click a timeline bar",
                [d["click_ms"] for d in draws],
                None,
                "to the next frame",
            )
        )
        rows.append(
            _row(
                "after: zoom the map one step",
                [d["zoom_ms"] for d in draws],
                None,
                "every route redrawn",
            )
        )
        for r in rows:
            if r["case"].startswith(("plan", "after")):
                r["draws"] = draws
        total = [0, 0, 0]
        for kind in ("HTML", "scripts", "styles", "font"):
            n, raw, wire = weights.get(kind, (0, 0, 0))
            total = [total[0] + n, total[1] + raw, total[2] + wire]
            rows.append(_weight_row(f"weight: {kind}", n, raw, wire))
        rows.append(_weight_row("weight: page", *total))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
