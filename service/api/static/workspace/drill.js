"use strict";
// Drills (双盲演练): the controller prepares, starts, advances, releases injects, ends and
// scores; a player reads the released injects and orders trips through a form filled from
// GET /drills/{id}/state, the API's refusals shown next to the field they name; after the
// end everyone reads the score beside the optimiser's and steps through the log on the map.
Object.assign(window.LABELS, {
  drill_title: ["演练", "Drill"],
  drill_pick: ["演练", "Drill"],
  drill_list: ["刷新演练列表", "Reload the list"],
  drill_scenario: ["演练情景(含注入事件)", "Exercise scenario (with injects)"],
  drill_prepare: ["准备演练", "Prepare a drill"],
  drill_ready: ["待开始", "ready"],
  drill_running: ["进行中", "running"],
  drill_ended: ["已结束", "ended"],
  drill_status: ["状态", "Status"],
  drill_hour: ["演练时间", "Drill hour"],
  drill_pending: ["待发布事件", "Injects pending"],
  drill_start: ["开始", "Start"],
  drill_release: ["发布下一事件", "Release the next inject"],
  drill_advance: ["推进到(小时)", "Advance to (h)"],
  drill_advance_go: ["推进", "Advance"],
  drill_end: ["结束演练", "End the drill"],
  drill_score: ["评分", "Score"],
  stage_score: ["计算评分", "scoring"],
  score_seconds: ["优化计算时间(秒)", "Optimiser time (s)"],
  released_title: ["已发布事件", "Injects released"],
  drill_none_released: ["尚无已发布事件", "No inject released yet"],
  order_title: ["下达运输指令", "Order a trip"],
  vehicle: ["车辆", "Vehicle"],
  vehicle_free: ["空闲", "free"],
  vehicle_busy_until: ["忙,空闲于", "busy until"],
  vehicle_lost: ["已损毁,时间", "lost at"],
  vehicle_stuck: ["受困未返", "stuck out"],
  load_limit: ["载重/容积", "Load limits"],
  drill_depot: ["所属储备库", "Depot"],
  stock_left: ["可调库存", "Stock left"],
  stop: ["停靠点", "Stop"],
  add_stop: ["增加停靠点", "Add a stop"],
  still_needs: ["尚需", "Still needs"],
  nothing_left: ["已全部安排", "all ordered"],
  replace_pending: ["取消本人尚未出发的车次(重新计划)", "Cancel my trips not yet left (re-plan)"],
  note: ["备注", "Note"],
  submit_order: ["下达指令", "Order"],
  order_saved: ["指令已记录", "Order recorded"],
  cancelled: ["取消", "cancelled"],
  needs_title: ["各安置点尚需物资", "What each place still needs"],
  ready_h: ["人员到达(小时)", "People there (h)"],
  trips_title: ["已下达车次", "Trips ordered"],
  trip: ["车次", "Trip"],
  route: ["路线", "Route"],
  leave_back: ["出发–返回", "Leave – back"],
  status: ["状态", "Status"],
  trip_cancelled: ["已取消", "cancelled"],
  trip_failed: ["未能出发", "failed"],
  trip_waiting: ["待出发", "waiting"],
  trip_en_route: ["途中", "on the road"],
  trip_back: ["已返回", "back"],
  trip_out: ["未能返回", "not back"],
  failed_unreachable: ["道路不通", "unreachable"],
  failed_depot_lost: ["储备库损毁", "depot lost"],
  failed_vehicle_stuck: ["车辆受困", "vehicle stuck"],
  failed_not_loaded: ["未能装车", "not loaded"],
  depot_lost: ["储备库损毁", "Depot lost"],
  score_title: ["评分:演练人员与优化方案", "Score: players and the optimiser"],
  players: ["演练人员", "Players"],
  optimiser: ["优化方案", "Optimiser"],
  late_people_hours: ["超时人·小时(演练/优化)", "People-hours late (players / optimiser)"],
  unserved_units: ["未送达物资件数(演练/优化)", "Units not delivered (players / optimiser)"],
  costliest: ["代价最大的决定", "Costliest decisions"],
  late_trip: ["迟到车次", "late trip"],
  not_met: ["未满足", "not met"],
  people_hours: ["人·小时", "people-hours"],
  replay_title: ["演练记录回放", "Replay the log"],
  replay_prev: ["上一步", "Back"],
  replay_next: ["下一步", "Next"],
  ev_created: ["准备演练", "prepared"],
  ev_started: ["开始", "started"],
  ev_released: ["发布事件", "inject released"],
  ev_advanced: ["推进时间", "clock advanced"],
  ev_decision: ["指令", "order"],
  ev_ended: ["结束", "ended"],
  ev_scored: ["评分", "scored"],
});

window.drill = (function () {
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;
  const POLL_MS = 3000;
  let drills = [];
  let current = null;  // the drill as GET /drills/{id} answers
  let state = null;  // GET /drills/{id}/state
  let score = null;  // the score job's result
  let scoreJob = null;
  let log = null;  // GET /drills/{id}/events (replay)
  let step = 0;
  let layer = null;
  let timer = null;
  let seen = "";  // what the state was read for (status, hour, released, decisions)

  const num = (n) => Number(n).toLocaleString(window.lang === "en" ? "en" : "zh-CN");
  const hours = (h) => (h === null || h === undefined ? "—" : Number(h).toFixed(1) + " h");
  const url = (path) => "/drills/" + enc(current.id) + (path || "");
  const may = (what) => Boolean(window.ws.me && window.ws.me.may[what]);

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function itemName(id) {
    const it = state && state.items.find((x) => x.id === id);
    return it ? window.pick(it.name_zh, it.name_en) : id;
  }

  function itemsText(items) {
    return Object.entries(items || {}).map(([k, q]) => itemName(k) + " " + num(q)).join(", ");
  }

  // The API's refusal next to the field it names (the nearest slot on the field's path).
  function clearProblems() {
    document.querySelectorAll("#drill .field-problem").forEach((p) => { p.hidden = true; });
  }

  function showRefusal(exc, fallback) {
    let field = exc.field || "";
    let slot = null;
    while (field && !slot) {
      slot = document.querySelector('#drill .field-problem[data-field="' + field + '"]');
      field = field.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
    }
    slot = slot || fallback;
    const where = exc.field ? " [" + exc.field + "]" : "";
    window.showProblem(slot, (exc.problem_zh || String(exc)) + where,
      (exc.problem || String(exc)) + where);
    return slot;
  }

  async function act(fn, fallback) {
    clearProblems();
    try {
      return await fn();
    } catch (exc) {
      showRefusal(exc, fallback);
      return null;
    }
  }

  // ---- the list of drills and the controller's actions ----------------------------------

  async function loadList(keep) {
    drills = await window.api.get("/drills");
    const sel = $("#drill-pick");
    sel.textContent = "";
    sel.append(new Option("—", ""));
    for (const d of drills) {
      const label = d.name + " · " + d.area + " · " + window.t("drill_" + d.status);
      sel.append(new Option(label, d.id));
    }
    const want = keep || (current && current.id) || "";
    sel.value = drills.some((d) => d.id === want) ? want : "";
  }

  function fillScenarios() {
    const sel = $("#drill-scenario");
    const keep = sel.value;
    sel.textContent = "";
    const area = $("#area").value;
    for (const s of window.ws.scenarios.filter((x) => x.area === area)) {
      const label = window.lang === "en" || !s.name_zh ? s.name : s.name_zh + " " + s.name;
      sel.append(new Option(label, s.name));
    }
    const exercise = [...sel.options].find((o) => /exercise/.test(o.value));
    if ([...sel.options].some((o) => o.value === keep)) {
      sel.value = keep;
    } else if (exercise) {
      sel.value = exercise.value;
    }
  }

  async function prepare() {
    const body = {
      area: $("#area").value,
      scenario: $("#drill-scenario").value,
      clock: { mode: "manual" },
    };
    const made = await act(() => window.api.post("/drills", body), $("#drill-prepare-error"));
    if (!made) { return; }
    await loadList(made.id);
    await open(made.id);
  }

  async function control(path, body) {
    const got = await act(() => window.api.post(url(path), body || {}), $("#drill-control-error"));
    if (got) {
      current = got;
      await refresh(true);
    }
  }

  async function runScore() {
    const limit = Number($("#drill-score-seconds").value);
    const job = await act(() => window.api.post(url("/score"), { time_limit_s: limit }),
      $("#drill-control-error"));
    if (job) { await follow(job, true); }
  }

  // Follow the score job to its end (``mine``: this page asked for it, and may cancel it),
  // then read the score (anyone may, once it is done).
  async function follow(job, mine) {
    scoreJob = job;
    const err = $("#drill-control-error");
    job = await window.jobs.follow(job, {
      box: $("#drill-score-job"), bar: $("#drill-score-progress"),
      stage: $("#drill-score-stage"), error: err, cancellable: mine,
    });
    scoreJob = job;
    if (job.status === "failed") { window.jobs.showFailure(err, job); }
    if (job.status !== "done") { return; }  // cancelled: the bar says so
    score = await window.api.get(job.result);
    drawScore();
  }

  // ---- one drill --------------------------------------------------------------------------

  async function open(id) {
    stopPolling();
    current = null;
    state = score = log = scoreJob = null;
    step = 0;
    clearProblems();
    $("#drill-score").hidden = true;
    $("#drill-replay").hidden = true;
    $("#drill-score-job").hidden = true;
    if (layer) { layer.clearLayers(); }
    $("#drill-view").hidden = !id;
    if (!id) { return; }
    current = await window.api.get("/drills/" + enc(id));
    seen = "";
    await refresh(false);
    timer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (timer) { clearInterval(timer); }
    timer = null;
  }

  async function poll() {
    if (!current || !window.ws.me || document.hidden) { return; }
    try {
      if (current.status === "ended") {
        await ended();  // until someone has asked for the score
      } else {
        current = await window.api.get(url());
        await refresh(false);
      }
    } catch (exc) {  // said by the connection line; the next poll tries again
      return;
    }
  }

  // Read the state again when the drill changed (``force``: the page changed it); the form
  // is drawn again only then, so nothing is redrawn under a player's typing.
  async function refresh(force) {
    const key = [current.status, current.hour, current.released.length].join("|");
    if (force || key !== seen || !state) {
      seen = key;
      state = await window.api.get(url("/state"));
      if (current.status === "ended") { await ended(); }
      draw();
    } else {
      drawStatus();
    }
  }

  // The log (replay), and the score once it has been asked for (by the controller).
  async function ended() {
    const first = !log;
    log = await window.api.get(url("/events"));
    if (first) { step = log.length - 1; }
    const scored = log.filter((e) => e.kind === "scored").pop();
    if (scored) {
      stopPolling();
      if (!scoreJob) {
        const job = await window.api.get("/jobs/" + enc(scored.body.job));
        follow(job, false).catch((exc) => showRefusal(exc, $("#drill-control-error")));
      }
    }
    drawReplay();
  }

  function draw() {
    if (!current) { return; }
    drawStatus();
    drawReleased();
    if (state) {
      fillVehicles();
      drawNeeds();
      drawTrips();
      drawMap();
    }
    if (score) { drawScore(); }
    if (log) { drawReplay(); }
  }

  function drawStatus() {
    const d = current;
    $("#drill-view").dataset.status = d.status;
    $("#drill-view").dataset.id = d.id;
    $("#drill-name").textContent = d.name;
    $("#drill-status").textContent = window.t("drill_" + d.status);
    $("#drill-hour").textContent = hours(d.hour);
    $("#drill-hour").dataset.hour = d.hour;
    $("#drill-pending").textContent = d.pending === null ? "—" : d.pending;
    const controls = may("control_drills");
    $("#drill-start").hidden = !controls || d.status !== "ready";
    for (const id of ["#drill-release", "#drill-advance-box", "#drill-end"]) {
      $(id).hidden = !controls || d.status !== "running";
    }
    $("#drill-advance-box").hidden = $("#drill-advance-box").hidden || d.mode !== "manual";
    $("#drill-score-box").hidden = !controls || d.status === "ready";
    $("#drill-order").hidden = !may("play_drills") || d.status !== "running";
  }

  function drawReleased() {
    const list = $("#drill-released");
    list.textContent = "";
    for (const inj of current.released) {
      const li = el("li", hours(inj.at_h) + " · " + (inj.label || "#" + inj.index));
      li.dataset.index = inj.index;
      list.append(li);
    }
    if (!current.released.length) { list.append(el("li", window.t("drill_none_released"))); }
  }

  // ---- the players' form --------------------------------------------------------------

  function vehicleText(v) {
    let when = window.t("vehicle_free");
    if (v.status === "busy") { when = window.t("vehicle_busy_until") + " " + hours(v.free_h); }
    if (v.status === "lost") { when = window.t("vehicle_lost") + " " + hours(v.lost_h); }
    if (v.status === "stuck") { when = window.t("vehicle_stuck"); }
    return v.id + " · " + window.pick(v.class_zh, v.class_en) + " · " + when;
  }

  function fillVehicles() {
    const sel = $("#order-vehicle");
    const keep = sel.value;
    sel.textContent = "";
    const groups = {};
    for (const v of state.vehicles) {
      if (!groups[v.depot]) {
        groups[v.depot] = document.createElement("optgroup");
        groups[v.depot].label = v.depot_name + " (" + v.depot + ")";
        sel.append(groups[v.depot]);
      }
      const o = new Option(vehicleText(v), v.id);
      o.disabled = v.status === "lost" || v.status === "stuck";
      o.dataset.status = v.status;
      groups[v.depot].append(o);
    }
    if (state.vehicles.some((v) => v.id === keep)) { sel.value = keep; }
    if (!sel.value || sel.selectedOptions[0].disabled) {
      const first = [...sel.options].find((o) => !o.disabled);
      if (first) { sel.value = first.value; }
    }
    describeVehicle();
    document.querySelectorAll("#order-stops .stop").forEach(fillStop);
  }

  function describeVehicle() {
    const v = state && state.vehicles.find((x) => x.id === $("#order-vehicle").value);
    const box = $("#order-vehicle-info");
    box.textContent = "";
    if (!v) { return; }
    const depot = state.depots.find((x) => x.id === v.depot) || { stock_left: {} };
    box.append(el("div", window.t("load_limit") + ": " + num(v.payload_kg) + " kg · " +
      num(v.volume_m3) + " m³ · " + window.t("drill_depot") + ": " + v.depot_name));
    box.append(el("div", window.t("stock_left") + ": " + (itemsText(depot.stock_left) || "—"),
      "stock-left"));
  }

  function addStop() {
    const box = $("#order-stops");
    const j = box.querySelectorAll(".stop").length;
    const stop = el("fieldset", null, "stop");
    stop.dataset.index = j;
    stop.append(el("legend", window.t("stop") + " " + (j + 1)));
    const pick = document.createElement("select");
    pick.className = "stop-point";
    pick.name = "stop-" + j + "-point";
    pick.addEventListener("change", () => describeStop(stop));
    const label = el("label");
    label.append(el("span", window.t("place") + " "), pick);
    stop.append(label, problemSlot("trips[0].stops[" + j + "].point"));
    stop.append(el("div", null, "stop-still hint"));
    const items = el("div", null, "stop-items");
    stop.append(items, problemSlot("trips[0].stops[" + j + "].items"));
    box.append(stop);
    if (state) { fillStop(stop); }
  }

  function problemSlot(field) {
    const p = el("p", null, "problem field-problem");
    p.dataset.field = field;
    p.setAttribute("role", "alert");
    p.hidden = true;
    return p;
  }

  function fillStop(stop) {
    const j = Number(stop.dataset.index);
    const pick = stop.querySelector(".stop-point");
    const keep = pick.value;
    pick.textContent = "";
    for (const n of state.needs) {
      pick.append(new Option((n.name || n.place) + " (" + n.place + ") · " + num(n.people) +
        " " + window.t("people_short"), n.place));
    }
    if (state.needs.some((n) => n.place === keep)) { pick.value = keep; }
    const items = stop.querySelector(".stop-items");
    const typed = {};
    items.querySelectorAll("input").forEach((i) => { typed[i.dataset.item] = i.value; });
    items.textContent = "";
    for (const it of state.items) {
      const row = el("label", null, "item-row");
      const input = document.createElement("input");
      input.type = "number";
      input.step = "1";
      input.name = "stop-" + j + "-" + it.id;
      input.dataset.item = it.id;
      input.value = typed[it.id] || "";
      row.append(el("span", window.pick(it.name_zh, it.name_en)), input);
      items.append(row, problemSlot("trips[0].stops[" + j + "].items." + it.id));
    }
    describeStop(stop);
  }

  function describeStop(stop) {
    const place = stop.querySelector(".stop-point").value;
    const n = state.needs.find((x) => x.place === place);
    stop.querySelector(".stop-still").textContent = n ?
      window.t("still_needs") + ": " + (itemsText(n.still) || "—") : "";
  }

  function decision() {
    const trip = { vehicle: $("#order-vehicle").value, stops: [] };
    document.querySelectorAll("#order-stops .stop").forEach((stop) => {
      const items = {};
      stop.querySelectorAll(".stop-items input").forEach((i) => {
        if (i.value.trim() !== "") { items[i.dataset.item] = Number(i.value); }
      });
      trip.stops.push({ point: stop.querySelector(".stop-point").value, items });
    });
    return {
      trips: [trip],
      replace_pending: $("#order-replace").checked,
      note: $("#order-note").value,
    };
  }

  async function order(ev) {
    ev.preventDefault();
    const done = $("#order-done");
    done.hidden = true;
    const got = await act(() => window.api.post(url("/decisions"), decision()),
      $("#order-error"));
    if (!got) { return; }  // what was typed stays for the player to fix
    done.textContent = window.t("order_saved") + " #" + got.index + " · " + hours(got.hour) +
      (got.cancelled.length ? " · " + window.t("cancelled") + " " + got.cancelled.length : "");
    done.hidden = false;
    $("#order-form-body").querySelectorAll(".stop-items input").forEach((i) => { i.value = ""; });
    $("#order-replace").checked = false;
    current = await window.api.get(url());
    await refresh(true);
  }

  // ---- what players read: needs, trips, and the map ---------------------------------------

  function drawNeeds() {
    const body = $("#drill-needs tbody");
    body.textContent = "";
    for (const n of state.needs) {
      const row = body.insertRow();
      row.dataset.place = n.place;
      row.insertCell().textContent = (n.name || n.place);
      const p = row.insertCell();
      p.textContent = num(n.people);
      p.className = "n";
      row.insertCell().textContent = hours(n.ready_h);
      row.insertCell().textContent = itemsText(n.still) || window.t("nothing_left");
    }
  }

  function drawTrips() {
    const body = $("#drill-trips tbody");
    body.textContent = "";
    for (const t of state.trips) {
      const row = body.insertRow();
      row.dataset.status = t.status;
      row.insertCell().textContent = t.decision + "." + t.trip + " · " + t.player;
      row.insertCell().textContent = t.vehicle;
      row.insertCell().textContent = t.stops.map((s) => (s.name || s.point) +
        (s.failed ? " ✕ " + window.t("failed_" + s.failed) : "")).join(" → ");
      row.insertCell().textContent = hours(t.leave_h) + " – " + hours(t.back_h);
      row.insertCell().textContent = window.t("trip_" + t.status);
    }
    if (!state.trips.length) { body.insertRow().insertCell().textContent = "—"; }
  }

  function mapLayer() {
    if (!layer) { layer = L.layerGroup().addTo(window.ws.map); }
    layer.clearLayers();
    return layer;
  }

  const COLOURS = ["#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457"];

  function drawTripLine(group, t, k) {
    const depot = state.depots.find((x) => x.id === t.depot);
    const pts = [depot ? [depot.lat, depot.lon] : null,
      ...t.stops.map((s) => (s.lat === null ? null : [s.lat, s.lon]))].filter(Boolean);
    if (pts.length < 2) { return; }
    L.polyline(pts, {
      color: COLOURS[k % COLOURS.length], weight: 3, opacity: t.status === "cancelled" ? 0.3 : 0.9,
      dashArray: t.status === "waiting" ? "6 4" : null, className: "drill-trip",
    }).bindTooltip(t.vehicle + " · " + window.t("trip_" + t.status)).addTo(group);
  }

  function drawMap(upTo) {
    const group = mapLayer();
    for (const n of state.needs) {
      L.circleMarker([n.lat, n.lon], {
        radius: 5 + Math.min(10, Math.sqrt(n.people) / 12), color: "#222", weight: 1,
        fillColor: Object.keys(n.still).length ? "#c62828" : "#2e7d32", fillOpacity: 0.8,
        className: "drill-need",
      }).bindPopup((n.name || n.place) + " · " + num(n.people) + " " +
        window.t("people_short") + " · " + window.t("still_needs") + ": " +
        (itemsText(n.still) || "—")).addTo(group);
    }
    for (const d of state.depots.filter((x) => x.lost)) {
      L.circleMarker([d.lat, d.lon], {
        radius: 7, color: "#000", weight: 2, fillColor: "#000", fillOpacity: 0.5,
        className: "drill-lost",
      }).bindTooltip(window.t("depot_lost") + ": " + d.name).addTo(group);
    }
    state.trips.forEach((t, k) => {
      if (upTo === undefined || t.decision < upTo) { drawTripLine(group, t, k); }
    });
  }

  // ---- after the end: the score and the replay ------------------------------------------

  const share = (x) => (x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%");

  function drawScore() {
    $("#drill-score").hidden = false;
    const body = $("#drill-score-table tbody");
    body.textContent = "";
    score.players.targets.forEach((tg, k) => {
      const best = score.optimiser.targets[k];
      const row = body.insertRow();
      row.dataset.hours = tg.hours;
      row.insertCell().textContent = tg.hours + " h";
      const p = row.insertCell();
      p.textContent = share(tg.share_met);
      p.className = "n players";
      p.dataset.share = tg.share_met;
      const o = row.insertCell();
      o.textContent = share(best.share_met);
      o.className = "n optimiser";
      o.dataset.share = best.share_met;
      const late = row.insertCell();
      late.className = "n";
      late.textContent = num(score.players.lateness[k].people_hours_late) + " / " +
        num(score.optimiser.lateness[k].people_hours_late);
    });
    const unserved = $("#drill-score-unserved");
    unserved.textContent = window.t("unserved_units") + ": " +
      num(score.players.unserved_units) + " / " + num(score.optimiser.unserved_units);
    const worst = $("#drill-costliest");
    worst.textContent = "";
    for (const c of score.costliest_decisions.slice(0, 5)) {
      const what = c.kind === "late_trip" ?
        window.t("late_trip") + " #" + c.decision + "." + c.trip + " " + c.vehicle :
        window.t("not_met") + " (" + c.reason + ")";
      worst.append(el("li", what + " · " + num(c.people_hours) + " " + window.t("people_hours")));
    }
  }

  function eventText(e) {
    const b = e.body || {};
    if (e.kind === "released") {
      return window.t("ev_released") + ": " + ((b.inject && b.inject.label) || "#" + b.index);
    }
    if (e.kind === "decision") {
      const trips = (b.decision && b.decision.trips) || [];
      return window.t("ev_decision") + " (" + b.player + "): " +
        trips.map((t) => t.vehicle).join(", ");
    }
    return window.t("ev_" + e.kind);
  }

  function drawReplay() {
    $("#drill-replay").hidden = false;
    const list = $("#drill-events");
    list.textContent = "";
    log.forEach((e, k) => {
      const li = el("li", hours(e.hour) + " · " + eventText(e));
      li.dataset.kind = e.kind;
      if (k === step) { li.className = "current"; }
      li.addEventListener("click", () => { step = k; drawReplay(); });
      list.append(li);
    });
    $("#replay-step").textContent = (step + 1) + " / " + log.length;
    $("#replay-step").dataset.step = step;
    $("#replay-prev").disabled = step <= 0;
    $("#replay-next").disabled = step >= log.length - 1;
    // The map as it stood at this step: the trips ordered so far.
    const decided = log.slice(0, step + 1).filter((e) => e.kind === "decision").length;
    if (state) { drawMap(decided); }
  }

  function move(by) {
    step = Math.max(0, Math.min(log.length - 1, step + by));
    drawReplay();
  }

  // ---- wiring -----------------------------------------------------------------------------

  async function enter() {
    fillScenarios();
    if (!$("#order-stops .stop")) { addStop(); }
    await loadList();
  }

  function redraw() {
    if (document.querySelector("#drill-scenario")) { fillScenarios(); }
    if (current) { draw(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#drill-create").addEventListener("click", prepare);
    $("#drill-list").addEventListener("click", () =>
      act(() => loadList(), $("#drill-list-error")));
    $("#drill-pick").addEventListener("change", () =>
      act(() => open($("#drill-pick").value), $("#drill-control-error")));
    $("#drill-start").addEventListener("click", () => control("/start"));
    $("#drill-release").addEventListener("click", () => control("/release"));
    $("#drill-advance").addEventListener("click", () =>
      control("/advance", { to_h: Number($("#drill-advance-to").value) }));
    $("#drill-end").addEventListener("click", () => control("/end"));
    $("#drill-score-run").addEventListener("click", runScore);
    $("#order-vehicle").addEventListener("change", describeVehicle);
    $("#order-add-stop").addEventListener("click", addStop);
    $("#drill-order").addEventListener("submit", order);
    $("#replay-prev").addEventListener("click", () => move(-1));
    $("#replay-next").addEventListener("click", () => move(1));
    $("#area").addEventListener("change", fillScenarios);
    $("#logout").addEventListener("click", () => { stopPolling(); open(""); });
  });
  return { enter, redraw, open };
})();
