"use strict";
// The planner's relief check: submit it as a job, show its stage and progress, then the
// answer from GET /jobs/{id}/summary (both figures per target, counties, late places).
window.check = (function () {
  const $ = (sel) => document.querySelector(sel);
  // Presentation only: one colour per reason code (the words come from the API).
  const COLOURS = {
    unreachable: "#6a1b9a",
    shelter_over_capacity: "#ad1457",
    evacuation_late: "#00838f",
    too_far: "#ef6c00",
    stock_shortfall: "#c62828",
    dispatch_capacity: "#f9a825",
    fleet_capacity: "#4e342e",
    plan_schedule: "#1565c0",
  };
  let summary = null;
  let lateLayer = null;

  const pct = (share) => (share * 100).toFixed(1) + "%";
  const num = (n) => Number(n).toLocaleString(window.lang === "en" ? "en" : "zh-CN");
  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) { td.className = cls; }
    return td;
  }

  async function run() {
    const err = $("#job-error");
    err.hidden = true;
    const button = $("#run-check");
    button.disabled = true;
    const body = {
      kind: "check",
      area: $("#area").value,
      scenario: $("#scenario").value,
      options: { plan_seconds: Number($("#plan-seconds").value) },
    };
    const floods = window.flood ? window.flood.ticked() : [];  // the ticked stored floods
    if (floods.length) { body.options.floods = floods; }
    try {
      const job = await window.jobs.follow(await window.api.post("/jobs", body), {
        box: $("#job"), bar: $("#job-progress"), stage: $("#job-stage"), error: err,
        cancellable: true,
      });
      if (job.status === "failed") { window.jobs.showFailure(err, job); }
      if (job.status !== "done") { return; }  // cancelled: the bar says so
      summary = await window.api.get("/jobs/" + job.id + "/summary");
      redraw();
      if (summary.flood) { window.maplayers.flood("/jobs/" + job.id + "/result/flood"); }
    } catch (exc) {
      const where = exc.field ? " [" + exc.field + "]" : "";
      window.showProblem(err, (exc.problem_zh || String(exc)) + where,
        (exc.problem || String(exc)) + where);
    } finally {
      button.disabled = false;  // the form keeps what the user chose
    }
  }

  function figures() {
    const box = $("#figures");
    box.textContent = "";
    for (const tg of summary.targets) {
      const card = document.createElement("div");
      card.className = "target";
      card.dataset.hours = tg.hours;
      const h = document.createElement("h4");
      h.textContent = tg.hours + " " + window.t("hours");
      card.append(h);
      const plan = tg.plan_share_met;
      for (const [cls, label, share, people] of [
        ["plan", "plan", plan, tg.plan_people_met],
        ["bound", "bound", tg.bound_share_met, tg.bound_people_met],
      ]) {
        const fig = document.createElement("div");
        fig.className = "figure " + cls;
        const name = document.createElement("span");
        name.className = "label";
        name.textContent = window.t(label);
        const value = document.createElement("b");
        value.className = "value";
        value.textContent = share === null ? window.t("no_plan") : pct(share);
        if (share !== null) { value.dataset.share = share; }
        const count = document.createElement("small");
        count.textContent = people === null ? "" :
          num(people) + " / " + num(tg.people) + " " + window.t("people_short");
        fig.append(name, value, count);
        card.append(fig);
      }
      const why = document.createElement("p");
      why.className = "binding";
      why.textContent = window.t("binding") + ": " + window.pick(tg.binding_zh, tg.binding_en) +
        (tg.gap_points === null ? "" : " · " + window.t("gap") + ": " + tg.gap_points);
      const text = document.createElement("p");
      text.className = "sentence";
      text.textContent = window.pick(tg.text_zh, tg.text_en);
      card.append(why, text);
      box.append(card);
    }
  }

  function tables() {
    const counties = $("#county-table tbody");
    counties.textContent = "";
    const h0 = summary.targets[0];
    for (const r of summary.counties) {
      const row = counties.insertRow();
      cell(row, r.county);
      cell(row, num(r.people), "n");
      cell(row, r.plan_people_met === null ? "—" : num(r.plan_people_met), "n");
      cell(row, num(r.bound_people_met), "n");
    }
    const needs = $("#need-table");
    const groups = h0 ? Object.keys(h0.need_groups) : [];
    const head = needs.tHead.rows[0];
    while (head.cells.length > 1) { head.deleteCell(1); }
    for (const g of groups) {
      const th = document.createElement("th");
      th.textContent = window.t("need_" + g);
      head.append(th);
    }
    const nbody = needs.tBodies[0];
    nbody.textContent = "";
    for (const tg of summary.targets) {
      const row = nbody.insertRow();
      cell(row, tg.hours, "n");
      for (const g of groups) { cell(row, pct(tg.need_groups[g]), "n"); }
    }
    const late = $("#late-table tbody");
    late.textContent = "";
    for (const p of summary.late) {
      const row = late.insertRow();
      row.dataset.id = p.id;
      cell(row, p.name || p.id);
      cell(row, p.plan_not_met === null ? "—" : num(p.plan_not_met), "n");
      cell(row, num(p.bound_not_met), "n");
      cell(row, window.pick(p.reason_zh, p.reason_en), "reason reason-" + p.reason);
    }
    if (!summary.late.length) {
      cell(late.insertRow(), window.t("none_late")).colSpan = 4;
    }
    const notes = $("#notes");
    notes.textContent = "";
    const texts = window.lang === "en" ? summary.notes_en : summary.notes_zh;
    for (const n of texts) {
      const li = document.createElement("li");
      li.textContent = n;
      notes.append(li);
    }
  }

  function popup(p) {
    const div = document.createElement("div");
    const b = document.createElement("b");
    b.textContent = p.name || p.id;
    const reason = document.createElement("div");
    reason.className = "popup-reason";
    reason.textContent = window.t("reason") + ": " + window.pick(p.reason_zh, p.reason_en);
    const figs = document.createElement("div");
    figs.textContent = window.t("not_met_plan") + " " +
      (p.plan_not_met === null ? "—" : num(p.plan_not_met)) + " · " +
      window.t("not_met_bound") + " " + num(p.bound_not_met);
    div.append(b, reason, figs);
    return div;
  }

  function draw() {
    const map = window.ws.map;
    if (lateLayer) { lateLayer.remove(); }
    lateLayer = L.layerGroup().addTo(map);
    const used = new Set();
    for (const p of summary.late) {
      if (p.lon === null || p.lat === null) { continue; }
      used.add(p.reason);
      L.circleMarker([p.lat, p.lon], {
        radius: 6 + Math.min(10, Math.sqrt(p.people) / 15),
        color: "#222", weight: 1, fillOpacity: 0.85,
        fillColor: COLOURS[p.reason] || "#757575",
        className: "late reason-" + p.reason,
      }).bindPopup(popup(p)).addTo(lateLayer);
    }
    const legend = $("#legend");
    legend.textContent = "";
    const title = document.createElement("b");
    title.textContent = window.t("late_places");
    legend.append(title);
    for (const code of used) {
      const row = document.createElement("div");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = COLOURS[code] || "#757575";
      const [zh, en] = summary.reasons[code] || [code, code];
      row.append(sw, document.createTextNode(window.pick(zh, en)));
      legend.append(row);
    }
    legend.hidden = used.size === 0;
  }

  function redraw() {
    if (!summary) { return; }
    $("#answer").hidden = false;
    $("#scenario-name").textContent = window.pick(
      summary.scenario_zh || summary.scenario, summary.scenario);
    figures();
    tables();
    draw();
    $("#answer").dataset.job = summary.job;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#run-check").addEventListener("click", run);
  });
  return { run, redraw };
})();
