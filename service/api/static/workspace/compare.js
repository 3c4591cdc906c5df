"use strict";
// Two results side by side (对比): relief checks of two scenarios, or the coverage before and
// after siting. Per target: people met as the bound (no plan more) and the plan where the
// result has them, or people reached within the target for siting; A, B and B − A. Then the
// places left out by each (late or unmet; not reached). Results are those finished in this
// session: site.js hands its over; a check's is read (GET /jobs/{id}/summary) when check.js
// marks its answer with the job (#answer[data-job]).
window.compare = (function () {
  const $ = (sel) => document.querySelector(sel);
  Object.assign(window.LABELS, {
    compare_title: ["结果对比", "Compare two results"],
    compare_measure: ["指标", "Measure"],
    compare_diff: ["差值(B−A)", "Difference (B − A)"],
    measure_bound: ["任何计划至多满足(人)", "Bound: people met (no plan more)"],
    measure_plan: ["调度计划满足(人)", "Plan: people met"],
    measure_covered: ["时限内可达(人)", "People reached within the target"],
    compare_left_out: ["超时、未满足或未覆盖的地点", "Places late, unmet or not reached"],
    compare_more: ["另有 {n} 处", "and {n} more"],
    check_result: ["核查", "check"],
    before_siting: ["选址前", "before siting"],
    after_siting: ["选址后", "after siting"],
    not_reached_one: ["时限内不可达", "not reached within the target"],
    compare_none: ["无", "none"],
  });
  const SHOWN = 30;  // places listed per side (the count says how many there are)
  const results = [];  // {key, zh, en, targets: [{hours, bound, plan, covered}], left: [...]}

  const num = (n) => Number(n).toLocaleString(window.lang === "en" ? "en" : "zh-CN");
  const signed = (n) => (n > 0 ? "+" : n < 0 ? "−" : "±") + num(Math.abs(n));

  function add(record) {
    const at = results.findIndex((r) => r.key === record.key);
    if (at >= 0) { results.splice(at, 1); }
    results.push(record);
  }

  // A relief check's summary (GET /jobs/{id}/summary).
  function addCheck(summary) {
    add({
      key: "check:" + summary.job,
      zh: window.LABELS.check_result[0] + " " + (summary.scenario_zh || summary.scenario) +
        " #" + summary.job.slice(0, 6),
      en: window.LABELS.check_result[1] + " " + summary.scenario + " #" + summary.job.slice(0, 6),
      targets: summary.targets.map((tg) => ({
        hours: tg.hours, bound: tg.bound_people_met, plan: tg.plan_people_met, covered: null,
      })),
      left: summary.late.map((p) => ({
        id: p.id, name: p.name || p.id,
        zh: p.reason_zh, en: p.reason_en,
        people: p.plan_not_met === null ? p.bound_not_met : p.plan_not_met,
      })),
    });
    choose(results.length - 2, results.length - 1);
  }

  // A siting result: two records, the coverage before and after the new sites.
  function addSiting(result) {
    const s = result.siting;
    const feats = result.places ? result.places.features : [];
    for (const [when, share, flag] of [
      ["before_siting", s.coverage_before, "reached_before"],
      ["after_siting", s.coverage_after, "reached_after"],
    ]) {
      const [zh, en] = window.LABELS[when];
      add({
        key: when + ":" + result.job,
        zh: zh + " #" + result.job.slice(0, 6),
        en: en + " #" + result.job.slice(0, 6),
        targets: [{
          hours: s.target_h, bound: null, plan: null,
          covered: share === null ? null : Math.round(share * s.people),
        }],
        left: feats.filter((f) => !f.properties[flag]).map((f) => ({
          id: f.properties.id, name: f.properties.name || f.properties.id,
          zh: window.LABELS.not_reached_one[0], en: window.LABELS.not_reached_one[1],
          people: f.properties.people,
        })),
      });
    }
    choose(results.length - 2, results.length - 1);
  }

  function choose(a, b) {
    fill();
    if (results.length < 2) { return; }
    $("#compare-a").value = results[Math.max(a, 0)].key;
    $("#compare-b").value = results[b].key;
    redraw();
  }

  function fill() {
    for (const id of ["#compare-a", "#compare-b"]) {
      const sel = $(id);
      const keep = sel.value;
      sel.textContent = "";
      for (const r of results) { sel.append(new Option(window.pick(r.zh, r.en), r.key)); }
      if (results.some((r) => r.key === keep)) { sel.value = keep; }
    }
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) { td.className = cls; }
    return td;
  }

  function table(a, b) {
    const body = $("#compare-table tbody");
    body.textContent = "";
    const hours = [...new Set([...a.targets, ...b.targets].map((t) => t.hours))]
      .sort((x, y) => x - y);
    for (const h of hours) {
      const ta = a.targets.find((t) => t.hours === h) || {};
      const tb = b.targets.find((t) => t.hours === h) || {};
      for (const m of ["bound", "plan", "covered"]) {
        const va = ta[m] ?? null;
        const vb = tb[m] ?? null;
        if (va === null && vb === null) { continue; }
        const row = body.insertRow();
        row.dataset.hours = h;
        row.dataset.measure = m;
        cell(row, h, "n");
        cell(row, window.t("measure_" + m));
        cell(row, va === null ? "—" : num(va), "n a");
        cell(row, vb === null ? "—" : num(vb), "n b");
        const d = cell(row, va === null || vb === null ? "—" : signed(vb - va), "n diff");
        if (va !== null && vb !== null) { d.dataset.diff = vb - va; }
      }
    }
  }

  function leftOut(list, record) {
    list.textContent = "";
    list.dataset.count = record.left.length;
    const sorted = [...record.left].sort((x, y) => y.people - x.people);
    for (const p of sorted.slice(0, SHOWN)) {
      const li = document.createElement("li");
      li.dataset.id = p.id;
      li.textContent = p.name + " · " + num(p.people) + " " + window.t("people_short") + " · " +
        window.pick(p.zh, p.en);
      list.append(li);
    }
    if (sorted.length > SHOWN) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = window.t("compare_more").replace("{n}", num(sorted.length - SHOWN));
      list.append(li);
    }
    if (!sorted.length) {
      const li = document.createElement("li");
      li.textContent = window.t("compare_none");
      list.append(li);
    }
  }

  function redraw() {
    $("#compare").hidden = results.length < 2;
    if (results.length < 2) { return; }
    fill();
    const a = results.find((r) => r.key === $("#compare-a").value);
    const b = results.find((r) => r.key === $("#compare-b").value);
    if (!a || !b) { return; }
    table(a, b);
    $("#compare-name-a").textContent = "A: " + window.pick(a.zh, a.en);
    $("#compare-name-b").textContent = "B: " + window.pick(b.zh, b.en);
    leftOut($("#compare-left-a"), a);
    leftOut($("#compare-left-b"), b);
    $("#compare").dataset.a = a.key;
    $("#compare").dataset.b = b.key;
  }

  async function checkShown() {
    const job = $("#answer").dataset.job;
    if (!job || results.some((r) => r.key === "check:" + job)) { return; }
    try {
      addCheck(await window.api.get("/jobs/" + encodeURIComponent(job) + "/summary"));
    } catch (exc) {
      window.showProblem($("#compare-error"), exc.problem_zh || String(exc),
        exc.problem || String(exc));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(checkShown).observe($("#answer"),
      { attributes: true, attributeFilter: ["data-job"] });
    $("#compare-a").addEventListener("change", redraw);
    $("#compare-b").addEventListener("change", redraw);
  });
  return { addCheck, addSiting, redraw };
})();
