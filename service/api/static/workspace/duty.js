"use strict";
// The duty officer's dispatch (调度): make a plan as a job and follow its progress; show its
// routes on the map (one colour per vehicle, along the roads) and its timeline (gantt.js);
// open and print the bilingual papers, download the workbook; re-dispatch at an hour after a
// road closes (clicked on the map), people are added or a depot is lost, and show what
// changed (GET /jobs/{id}/changes). Everything through the API (routes_duty.py).
window.duty = (function () {
  const $ = (sel) => document.querySelector(sel);
  Object.assign(window.LABELS, {
    duty_title: ["调度", "Dispatch"],
    duty_seconds: ["计划搜索时间(秒)", "Search time (s)"],
    run_dispatch: ["制定调度计划", "Make the plan"],
    duty_plan: ["调度计划", "Dispatch plan"],
    vehicles_used: ["使用车辆", "Vehicles used"],
    trips_stops: ["趟次", "Trips"],
    late_stops: ["晚到停靠", "Late stops"],
    plan_share: ["计划满足", "plan meets"],
    bound_share: ["任何计划至多", "no plan more than"],
    papers: ["调度单据", "Papers"],
    paper_sheets: ["司机调度单", "Driver sheets"],
    paper_loading: ["出库单", "Loading lists"],
    paper_receipts: ["接收清单", "Receipt lists"],
    paper_xlsx: ["下载 XLSX", "Download XLSX"],
    paper_wait: ["正在生成单据(首次约需半分钟)…", "Making the papers (the first time takes about half a minute)…"],
    print: ["打印", "Print"],
    open_tab: ["新窗口打开", "Open in a tab"],
    close: ["关闭", "Close"],
    redispatch_title: ["按时刻重新调度", "Re-dispatch at an hour"],
    at_hour: ["报灾后第几小时", "Hour after the report"],
    close_road: ["在地图上点击道路以封闭", "Click a road on the map to close it"],
    picking: ["请点击地图上的道路(封闭离点击处最近的道路)…",
      "Click a road on the map (the road nearest the click is closed)…"],
    closures: ["封闭道路", "Closed roads"],
    remove: ["删除", "Remove"],
    add_people: ["新增受灾人员", "People added"],
    depot_lost: ["损毁储备库", "Depot lost"],
    none: ["无", "none"],
    run_redispatch: ["重新调度", "Re-dispatch"],
    changes: ["新旧计划对比", "What changed"],
    met_before: ["原计划满足", "old plan meets"],
    met_after: ["新计划满足", "new plan meets"],
    vehicles_changed: ["路线改变的车辆", "Vehicles whose work changed"],
    unchanged: ["未变", "unchanged"],
    change_new: ["新派车", "newly sent"],
    change_dropped: ["取消", "dropped"],
    change_stops: ["改送他处", "other places"],
    change_path: ["改走他路", "other roads"],
    change_times: ["时间变化", "other times"],
    stuck: ["无法返回", "cannot get back"],
    timeline: ["车辆时间线", "Vehicle timeline"],
    part_load: ["装车", "loading"],
    part_drive: ["行驶", "driving"],
    part_unload: ["卸车", "unloading"],
    part_back: ["返回", "driving back"],
    part_late: ["晚于首个时限", "after the first target"],
    stage_network: ["读取路网与情景", "loading roads and scenario"],
    stage_allocation: ["分配库存", "allocating stock"],
    stage_scheduling: ["编排车辆与装车", "scheduling trucks and loading"],
    stage_document: ["整理调度计划", "writing the plan"],
    redispatch_note: ["已出发的车辆按原计划送达;其余重新安排。",
      "Trips under way deliver as planned; the rest is planned again."],
  });

  const enc = encodeURIComponent;
  const st = {
    job: null, result: null, previous: null, changes: null, routes: null, marks: null,
    roads: null, picking: false, closures: [], colours: new Map(), paperUrl: null,
  };
  const num = (n) => Number(n).toLocaleString(window.lang === "en" ? "en" : "zh-CN");
  const pct = (a, b) => (b ? (100 * a / b).toFixed(1) : "0.0") + "%";

  function problem(err, exc) {
    const where = exc.field ? " [" + exc.field + "]" : "";
    window.showProblem(err, (exc.problem_zh || String(exc)) + where,
      (exc.problem || String(exc)) + where);
  }

  async function run(button, err, submit) {
    err.hidden = true;
    button.disabled = true;
    try {
      const job = await window.jobs.follow(await submit(), {
        box: $("#duty-job"), bar: $("#duty-progress"), stage: $("#duty-stage"), error: err,
        cancellable: true,
      });
      if (job.status === "failed") { window.jobs.showFailure(err, job); }
      return job.status === "done" ? job : null;  // cancelled: the bar says so
    } catch (exc) {
      problem(err, exc);
      return null;
    } finally {
      button.disabled = false;  // the form keeps what the user chose
    }
  }

  async function makePlan() {
    const job = await run($("#run-dispatch"), $("#duty-error"), () => window.api.post("/jobs", {
      kind: "dispatch",
      area: $("#area").value,
      scenario: $("#scenario").value,
      options: { time_limit_s: Number($("#duty-seconds").value) },
    }));
    if (job) {
      st.previous = null;
      st.changes = null;
      await show(job.id);
    }
  }

  // Load a finished job's plan and draw it (map, timeline, figures, papers).
  async function show(jobId) {
    const t0 = performance.now();
    st.result = await window.api.get("/jobs/" + jobId + "/result");
    st.job = jobId;
    if (st.result.flood) { window.maplayers.flood(st.result.flood); }
    st.colours = new Map();
    const vehicles = [...new Set([
      ...(st.result.plan.committed || []).map((s) => s.vehicle),
      ...st.result.plan.routes.map((r) => r.vehicle),
    ])];
    vehicles.forEach((v, i) => st.colours.set(v, "hsl(" + ((i * 137.508) % 360).toFixed(1) +
      ",70%,40%)"));
    redraw();
    const box = $("#duty-plan");
    box.dataset.job = jobId;
    // Drawn and painted: the next frame after the drawing (the benchmark reads this).
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    box.dataset.drawnMs = String(Math.round(performance.now() - t0));
  }

  function drawRoutes() {
    const map = window.ws.map;
    if (st.routes) { st.routes.remove(); }
    st.routes = L.layerGroup().addTo(map);
    const legs = new Map();
    for (const f of st.result.routes.features) {
      const v = f.properties.vehicle;
      if (!legs.has(v)) { legs.set(v, []); }
      const g = f.geometry;
      const lines = g.type === "MultiLineString" ? g.coordinates : [g.coordinates];
      for (const line of lines) { legs.get(v).push(line.map(([lon, lat]) => [lat, lon])); }
    }
    const changed = st.changes ? new Set(st.changes.vehicles.map((c) => c.vehicle)) : null;
    for (const [v, lines] of legs) {
      const moved = changed && changed.has(v);
      const line = L.polyline(lines, {
        color: st.colours.get(v) || "#333", weight: moved ? 4 : 2, opacity: 0.85,
        className: "route" + (moved ? " changed" : ""),
      }).bindTooltip(v, { sticky: true }).addTo(st.routes);
      line.getElement().setAttribute("data-vehicle", v);
    }
    $("#duty-plan").dataset.routes = String(legs.size);
  }

  function figures() {
    const plan = st.result.plan;
    const k = plan.kpis;
    const bound = new Map((k.relief_check_targets || []).map((b) => [b.hours, b]));
    const box = $("#duty-kpis");
    box.textContent = "";
    for (const t of k.targets) {
      const p = document.createElement("p");
      p.className = "duty-target";
      p.dataset.hours = t.hours;
      const b = bound.get(t.hours);
      p.textContent = t.hours + " " + window.t("hours") + ": " + window.t("plan_share") + " " +
        num(t.people_met) + " / " + num(t.people_total) + " (" +
        pct(t.people_met, t.people_total) + ")" + (b ? " · " + window.t("bound_share") + " " +
        num(b.people_met) + " (" + pct(b.people_met, t.people_total) + ")" : "");
      box.append(p);
    }
    const facts = document.createElement("p");
    facts.className = "hint";
    facts.textContent = window.t("vehicles_used") + " " + k.vehicles_used + " · " +
      window.t("trips_stops") + " " + k.trips + " · " + window.t("late_stops") + " " +
      k.late_stops;
    box.append(facts);
  }

  function timeline() {
    const plan = st.result.plan;
    const marked = st.changes ? new Set(st.changes.vehicles.map((c) => c.vehicle)) : null;
    const at = plan.redispatch ? plan.redispatch.at_h : null;
    const pane = $("#gantt");
    pane.hidden = false;
    pane.style.left = $("#panel").offsetWidth + "px";
    const drawn = window.gantt.draw($("#gantt-chart"), plan, {
      atH: at, colour: (v) => st.colours.get(v), marked,
    });
    st.rows = drawn.rows;
    const legend = $("#gantt-legend");
    legend.textContent = "";
    for (const part of ["load", "drive", "unload", "back", "late"]) {
      const s = document.createElement("span");
      s.className = "key " + part;
      s.textContent = window.t("part_" + part);
      legend.append(s);
    }
  }

  // A click on a bar says what it is; on a row label, the vehicle's route is shown.
  function pick(ev) {
    const el = ev.target;
    if (!el.dataset || el.dataset.row === undefined) { return; }
    const row = st.rows[Number(el.dataset.row)];
    const info = $("#gantt-info");
    if (el.dataset.stop === undefined) {
      info.textContent = row.vehicle;
    } else {
      const s = row.stops[Number(el.dataset.stop)].stop;
      const h = (x) => (x === undefined ? "—" : Number(x).toFixed(2) + " h");
      info.textContent = row.vehicle + " → " + (s.name || s.point) + " · " +
        window.t("part_load") + " " + h(s.load_start_h) + " · " + window.t("part_drive") + " " +
        h(s.leave_h) + "–" + h(s.arrive_h) + " · " + window.t("part_unload") + " " +
        h(s.arrive_h) + "–" + h(s.depart_h);
    }
    st.routes.eachLayer((line) => {
      const mine = line.getTooltip() && line.getTooltip().getContent() === row.vehicle;
      line.setStyle({ weight: mine ? 6 : 2, opacity: mine ? 1 : 0.35 });
      if (mine) { line.bringToFront(); }
    });
  }

  // The papers: fetched with the token (a new tab cannot send it), shown in a dialog.
  async function paper(name) {
    const err = $("#paper-error");
    err.hidden = true;
    $("#paper-wait").hidden = false;
    let r;
    try {
      r = await fetch("/jobs/" + st.job + "/papers/" + name, {
        headers: { Authorization: "Bearer " + window.api.token() },
      });
    } catch (exc) {
      window.showProblem(err, window.LABELS.offline[0], window.LABELS.offline[1]);
      return null;
    } finally {
      $("#paper-wait").hidden = true;
    }
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      problem(err, new window.api.ApiError(r.status, body));
      return null;
    }
    return r.blob();
  }

  async function openPaper(name) {
    const blob = await paper(name);
    if (!blob) { return; }
    if (st.paperUrl) { URL.revokeObjectURL(st.paperUrl); }
    st.paperUrl = URL.createObjectURL(new Blob([blob], { type: "text/html" }));
    const dlg = $("#paper-dialog");
    dlg.dataset.paper = name;
    $("#paper-frame").src = st.paperUrl;
    if (!dlg.open) { dlg.showModal(); }
  }

  async function downloadXlsx() {
    const blob = await paper("sheets.xlsx");
    if (!blob) { return; }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "dispatch-" + st.job.slice(0, 8) + "-sheets.xlsx";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  // --- re-dispatch ---------------------------------------------------------------------

  async function roadsLayer() {
    if (st.roads) { return st.roads; }
    const roads = await window.maplayers.roads();  // fetched once with the area's map
    st.roads = L.geoJSON(roads, {
      renderer: L.canvas({ padding: 0.2 }), interactive: false,
      style: (f) => ({
        color: "#8d6e63", opacity: 0.55, weight: f.properties.road_class === "township" ? 1 : 2,
      }),
    });
    return st.roads;
  }

  async function togglePicking() {
    st.picking = !st.picking;
    const map = window.ws.map;
    $("#pick-road").classList.toggle("active", st.picking);
    $("#pick-hint").hidden = !st.picking;
    map.getContainer().classList.toggle("picking", st.picking);
    if (st.picking) {
      (await roadsLayer()).addTo(map);
    } else if (st.roads) {
      st.roads.remove();
    }
  }

  function onMapClick(ev) {
    if (!st.picking) { return; }
    const at = [Number(ev.latlng.lng.toFixed(6)), Number(ev.latlng.lat.toFixed(6))];
    st.closures.push(at);
    listClosures();
    togglePicking();
  }

  function listClosures() {
    if (st.marks) { st.marks.remove(); }
    st.marks = L.layerGroup().addTo(window.ws.map);
    const list = $("#rd-closures");
    list.textContent = "";
    st.closures.forEach(([lon, lat], k) => {
      L.circleMarker([lat, lon], {
        radius: 7, color: "#b71c1c", weight: 3, fillColor: "#fff", fillOpacity: 1,
        className: "closure",
      }).addTo(st.marks);
      const li = document.createElement("li");
      li.textContent = lon.toFixed(4) + ", " + lat.toFixed(4) + " ";
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = window.t("remove");
      b.addEventListener("click", () => { st.closures.splice(k, 1); listClosures(); });
      li.append(b);
      list.append(li);
    });
    if (!st.closures.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = window.t("none");
      list.append(li);
    }
  }

  async function fillPickers() {
    const area = enc($("#area").value);
    const [shelters, depots] = await Promise.all([
      window.api.get("/areas/" + area + "/shelters"), window.api.get("/areas/" + area + "/depots"),
    ]);
    const people = $("#rd-point");
    people.textContent = "";
    people.append(new Option("—", ""));
    for (const s of shelters) { people.append(new Option(s.name + " (" + s.id + ")", s.id)); }
    const lost = $("#rd-depot");
    lost.textContent = "";
    lost.append(new Option("—", ""));
    for (const d of depots) { lost.append(new Option(d.name + " (" + d.id + ")", d.id)); }
  }

  async function redispatch() {
    const err = $("#rd-error");
    document.querySelectorAll("#redispatch .invalid").forEach((e) => e.classList.remove("invalid"));
    const body = {
      at_h: Number($("#rd-at").value),
      closures: st.closures.map((at) => ({ at })),
      time_limit_s: Number($("#duty-seconds").value),
    };
    if ($("#rd-point").value) {
      body.add_people = [{ point: $("#rd-point").value, people: Number($("#rd-people").value) }];
    }
    if ($("#rd-depot").value) { body.depots_lost = [$("#rd-depot").value]; }
    const before = st.job;
    const job = await run($("#run-redispatch"), err,
      () => window.api.post("/jobs/" + before + "/redispatch", body));
    if (!job) {
      if (err.hidden) { return; }  // cancelled
      // The field the API names is marked; nothing typed is lost.
      const field = (err.textContent.match(/\[([a-z_]+)/) || [])[1];
      const at = { at_h: "#rd-at", closures: "#rd-closures", add_people: "#rd-people",
        depots_lost: "#rd-depot", time_limit_s: "#duty-seconds" }[field];
      if (at) { $(at).classList.add("invalid"); }
      return;
    }
    st.changes = await window.api.get("/jobs/" + job.id + "/changes");
    st.previous = before;
    st.closures = [];
    listClosures();
    await show(job.id);
  }

  function changesTable() {
    const box = $("#duty-changes");
    box.hidden = !st.changes;
    if (!st.changes) { return; }
    const c = st.changes;
    const targets = $("#changes-targets tbody");
    targets.textContent = "";
    for (const t of c.targets) {
      const row = targets.insertRow();
      row.dataset.hours = t.hours;
      row.insertCell().textContent = t.hours + " h";
      for (const [met, all] of [[t.met_before, t.people_before], [t.met_after, t.people_after]]) {
        const td = row.insertCell();
        td.className = "n";
        td.textContent = num(met) + " (" + pct(met, all) + ")";
      }
    }
    const list = $("#changes-vehicles");
    list.textContent = "";
    for (const v of c.vehicles) {
      const li = document.createElement("li");
      li.dataset.vehicle = v.vehicle;
      li.dataset.change = v.change;
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = st.colours.get(v.vehicle) || "#999";
      li.append(sw, document.createTextNode(v.vehicle + ": " + window.t("change_" + v.change) +
        " (" + (v.before.join("→") || "—") + " ⇒ " + (v.after.join("→") || "—") + ")"));
      list.append(li);
    }
    $("#changes-summary").textContent = window.t("vehicles_changed") + " " + c.vehicles.length +
      " · " + window.t("unchanged") + " " + c.unchanged +
      (c.stuck_vehicles.length ? " · " + window.t("stuck") + " " + c.stuck_vehicles.length : "");
  }

  function redraw() {
    if (!st.result) { return; }
    $("#duty-plan").hidden = false;
    figures();
    drawRoutes();
    timeline();
    changesTable();
    if (!$("#rd-at").value) {
      const first = Math.min(...st.result.plan.routes.flatMap((r) => r.stops.map((s) => s.leave_h)));
      $("#rd-at").value = Number.isFinite(first) ? Math.ceil(first) : 1;
    }
  }

  function reset() {
    for (const layer of [st.routes, st.marks, st.roads]) { if (layer) { layer.remove(); } }
    Object.assign(st, { job: null, result: null, changes: null, routes: null, marks: null,
      roads: null, closures: [], picking: false });
    $("#duty-plan").hidden = true;
    $("#gantt").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#run-dispatch").addEventListener("click", makePlan);
    $("#gantt-chart").addEventListener("click", pick);
    $("#gantt-hide").addEventListener("click", () => { $("#gantt").hidden = true; });
    for (const [id, name] of [["#open-sheets", "sheets.html"], ["#open-loading", "loading.html"],
      ["#open-receipts", "receipts.html"]]) {
      $(id).addEventListener("click", () => openPaper(name));
    }
    $("#download-xlsx").addEventListener("click", downloadXlsx);
    $("#paper-print").addEventListener("click", () => $("#paper-frame").contentWindow.print());
    $("#paper-tab").addEventListener("click", () => window.open(st.paperUrl, "_blank"));
    $("#paper-close").addEventListener("click", () => $("#paper-dialog").close());
    $("#pick-road").addEventListener("click", togglePicking);
    $("#run-redispatch").addEventListener("click", redispatch);
    $("#area").addEventListener("change", () => {
      reset();
      if (window.ws.me && window.ws.me.may.run_jobs) { fillPickers(); }
    });
  });

  // Called by app.js once the map exists and the area is drawn.
  async function ready() {
    if (!window.ws.me.may.run_jobs) { return; }
    window.ws.map.off("click", onMapClick);  // once, after a second log-in too
    window.ws.map.on("click", onMapClick);
    listClosures();
    await fillPickers();
  }

  return { redraw, ready, show, st };
})();
