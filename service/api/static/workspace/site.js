"use strict";
// The planner's depot siting (储备库选址): run a "site" job with its main options (model from
// GET /siting/models, new sites p, target hours, tier, time limit), follow it (jobs.js), then
// show the new sites on the map with coverage before and after, the places the new sites
// bring within reach, and the coverage-vs-number-of-sites curve (an SVG) when the result
// has one. The before/after pair goes to the compare panel (compare.js).
window.site = (function () {
  const $ = (sel) => document.querySelector(sel);
  const SVG = "http://www.w3.org/2000/svg";  // the SVG namespace: a name, not an address
  Object.assign(window.LABELS, {
    site_title: ["储备库选址", "Depot siting"],
    site_model: ["选址模型", "Model"],
    site_p: ["新建站址数量", "New sites (p)"],
    site_target: ["时限(小时)", "Target (h)"],
    site_tier: ["新建站址级别", "Tier of the new sites"],
    tier_township: ["乡镇级", "township"],
    tier_county: ["县级", "county"],
    tier_municipal: ["市级", "municipal"],
    site_seconds: ["求解时间上限(秒)", "Time limit (s)"],
    site_curve: ["绘制覆盖率随站址数量变化曲线", "Draw the coverage-vs-sites curve"],
    run_site: ["运行选址", "Run siting"],
    stage_siting: ["求解选址模型", "solving the siting model"],
    site_answer: ["选址结果", "Siting answer"],
    coverage_before: ["选址前覆盖", "Covered before"],
    coverage_after: ["选址后覆盖", "Covered after"],
    site_status: ["求解状态", "Status"],
    site_cutoff: ["行驶时间上限(小时)", "Travel cutoff (h)"],
    new_sites: ["新建站址", "New sites"],
    no_new_sites: ["无需新建站址。", "No new site is needed."],
    newly_reached: ["新覆盖的地点", "Places newly reached"],
    not_reached: ["仍未覆盖的地点", "Places still not reached"],
    site_new: ["新建站址", "new site"],
    curve_title: ["覆盖率与新建站址数量", "Coverage by number of new sites"],
    curve_x: ["新建站址数量", "new sites"],
    curve_y: ["覆盖率", "covered"],
  });
  let result = null;   // {job, siting, places}
  let layer = null;

  const pct = (share) => (share * 100).toFixed(1) + "%";
  const num = (n) => Number(n).toLocaleString(window.lang === "en" ? "en" : "zh-CN");

  // The models the API accepts, labelled in the current language.
  let models = [];
  async function ready() {
    if (!window.ws.me.may.run_jobs) { return; }
    models = await window.api.get("/siting/models");
    fillModels();
  }

  function fillModels() {
    const sel = $("#site-model");
    const keep = sel.value || "mclp";
    sel.textContent = "";
    for (const m of models) {
      sel.append(new Option(window.pick(m.label_zh, m.label_en) + " (" + m.name + ")", m.name));
    }
    if ([...sel.options].some((o) => o.value === keep)) { sel.value = keep; }
    const chosen = models.find((m) => m.name === sel.value);
    $("#site-p").disabled = chosen ? !chosen.needs_p : false;
  }

  function options() {
    const opts = {
      model: $("#site-model").value,
      p: Number($("#site-p").value),
      target_h: Number($("#site-target").value),
      tier: $("#site-tier").value,
      time_limit_s: Number($("#site-seconds").value),
    };
    if ($("#site-curve").checked && opts.p >= 1) { opts.curve = Math.min(opts.p, 30); }
    return opts;
  }

  async function run() {
    const err = $("#site-error");
    err.hidden = true;
    const button = $("#run-site");
    button.disabled = true;
    try {
      const job = await window.jobs.follow(await window.api.post("/jobs", {
        kind: "site", area: $("#area").value, options: options(),
      }), {
        box: $("#site-job"), bar: $("#site-progress"), stage: $("#site-stage"), error: err,
        cancellable: true,
      });
      if (job.status === "failed") { window.jobs.showFailure(err, job); }
      if (job.status !== "done") { return; }  // cancelled: the bar says so
      const doc = await window.api.get("/jobs/" + job.id + "/result");
      result = { job: job.id, siting: doc.siting, places: doc.places };
      redraw();
      if (window.compare) { window.compare.addSiting(result); }
    } catch (exc) {
      const where = exc.field ? " [" + exc.field + "]" : "";
      window.showProblem(err, (exc.problem_zh || String(exc)) + where,
        (exc.problem || String(exc)) + where);
    } finally {
      button.disabled = false;  // the form keeps what the user chose
    }
  }

  function figure(cls, label, share, people) {
    const fig = document.createElement("div");
    fig.className = "figure " + cls;
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = window.t(label);
    const value = document.createElement("b");
    value.className = "value";
    value.textContent = share === null ? "—" : pct(share);
    if (share !== null) { value.dataset.share = share; }
    const count = document.createElement("small");
    count.textContent = share === null ? "" :
      num(Math.round(share * people)) + " / " + num(people) + " " + window.t("people_short");
    fig.append(name, value, count);
    return fig;
  }

  function figures() {
    const s = result.siting;
    const box = $("#site-figures");
    box.textContent = "";
    box.append(figure("before", "coverage_before", s.coverage_before, s.people),
      figure("after", "coverage_after", s.coverage_after, s.people));
    const info = document.createElement("p");
    info.className = "binding";
    info.textContent = window.t("site_status") + ": " + s.status_text + " · " +
      window.t("site_cutoff") + ": " + (s.cutoff_travel_h === null ? "—" : s.cutoff_travel_h);
    box.append(info);
    const list = $("#site-list");
    list.textContent = "";
    for (const x of s.sites) {
      const li = document.createElement("li");
      li.dataset.id = x.id;
      li.textContent = (x.name || x.id) + " (" + x.id + ")" +
        (x.tier ? " · " + window.t("tier_" + x.tier) : "");
      list.append(li);
    }
    if (!s.sites.length) {
      const li = document.createElement("li");
      li.textContent = window.t("no_new_sites");
      list.append(li);
    }
  }

  function placePopup(p) {
    return (p.name || p.id) + " · " + num(p.people) + " " + window.t("people_short");
  }

  function draw() {
    if (layer) { layer.remove(); }
    layer = L.layerGroup().addTo(window.ws.map);
    const counts = { newly: 0, not: 0 };
    for (const f of (result.places || { features: [] }).features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      if (p.reached_after && !p.reached_before) {
        counts.newly += 1;
        L.circleMarker([lat, lon], {
          radius: 5, color: "#1b5e20", weight: 1, fillColor: "#66bb6a", fillOpacity: 0.9,
          className: "newly-reached",
        }).bindPopup(window.t("newly_reached") + ": " + placePopup(p)).addTo(layer);
      } else if (!p.reached_after) {
        counts.not += 1;
        L.circleMarker([lat, lon], {
          radius: 3, color: "#8d6e63", weight: 1, fillColor: "#d7ccc8", fillOpacity: 0.8,
          className: "not-reached",
        }).bindPopup(window.t("not_reached") + ": " + placePopup(p)).addTo(layer);
      }
    }
    for (const x of result.siting.sites) {
      L.marker([x.lat, x.lon], {
        icon: L.divIcon({ className: "new-site", html: "★", iconSize: [20, 20] }),
        title: x.name || x.id,
      }).bindPopup(window.t("site_new") + ": " + (x.name || x.id) + " (" + x.id + ")")
        .addTo(layer);
    }
    $("#site-places").textContent = window.t("newly_reached") + ": " + num(counts.newly) +
      " · " + window.t("not_reached") + ": " + num(counts.not);
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) { node.setAttribute(k, v); }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Coverage (y, 0..100 %) against the number of new sites (x, 0..k), as a small SVG.
  function curve() {
    const box = $("#site-curve-box");
    const steps = result.siting.curve || [];
    box.hidden = steps.length === 0;
    const holder = $("#site-curve-plot");
    holder.textContent = "";
    if (!steps.length) { return; }
    const W = 360; const H = 180; const L0 = 44; const R = 12; const T = 10; const B = 30;
    const maxP = Math.max(1, ...steps.map((c) => c.p));
    const shares = steps.map((c) => c.coverage).filter((v) => v !== null);
    const lo = Math.max(0, Math.floor(Math.min(...shares) * 20) / 20);
    const hi = Math.min(1, Math.ceil(Math.max(...shares) * 20) / 20);
    const span = Math.max(hi - lo, 0.05);
    const x = (p) => L0 + (p / maxP) * (W - L0 - R);
    const y = (v) => T + (1 - (v - lo) / span) * (H - T - B);
    const svg = el("svg", { class: "site-curve", viewBox: "0 0 " + W + " " + H,
      width: W, height: H, "data-steps": steps.length });
    svg.append(el("line", { x1: L0, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
    svg.append(el("line", { x1: L0, y1: T, x2: L0, y2: H - B, class: "axis" }));
    for (const v of [lo, lo + span / 2, lo + span]) {
      svg.append(el("text", { x: L0 - 4, y: y(v) + 4, "text-anchor": "end" }, pct(v)));
    }
    for (const c of steps) {
      svg.append(el("text", { x: x(c.p), y: H - B + 14, "text-anchor": "middle" }, String(c.p)));
    }
    svg.append(el("text", { x: (L0 + W - R) / 2, y: H - 2, "text-anchor": "middle" },
      window.t("curve_x")));
    const pts = steps.filter((c) => c.coverage !== null);
    svg.append(el("polyline", { class: "curve-line", fill: "none",
      points: pts.map((c) => x(c.p) + "," + y(c.coverage)).join(" ") }));
    for (const c of pts) {
      const dot = el("circle", { class: "curve-point", cx: x(c.p), cy: y(c.coverage), r: 4,
        "data-p": c.p, "data-coverage": c.coverage });
      dot.append(el("title", {}, c.p + " " + window.t("curve_x") + ": " + pct(c.coverage) +
        " (+" + num(c.newly_covered || 0) + " " + window.t("people_short") + ")"));
      svg.append(dot);
    }
    holder.append(svg);
  }

  function redraw() {
    if (models.length) { fillModels(); }
    if (!result) { return; }
    $("#site-answer").hidden = false;
    $("#site-answer").dataset.job = result.job;
    figures();
    draw();
    curve();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#run-site").addEventListener("click", run);
    $("#site-model").addEventListener("change", fillModels);
  });
  return { ready, redraw };
})();
