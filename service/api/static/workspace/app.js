"use strict";
// The workspace shell: log in, role, language, area and scenario pickers, the map.
(function () {
  const $ = (sel) => document.querySelector(sel);
  const state = { me: null, map: null, scenarios: [] };
  window.ws = state;

  // An error in both languages, Chinese first, next to what caused it.
  window.showProblem = function showProblem(el, zh, en) {
    el.textContent = "";
    const a = document.createElement("span");
    a.lang = "zh-CN";
    a.textContent = zh;
    const b = document.createElement("span");
    b.lang = "en";
    b.textContent = en;
    el.append(a, document.createElement("br"), b);
    el.hidden = false;
  };

  function translate() {
    document.documentElement.lang = window.lang === "en" ? "en" : "zh-CN";
    document.querySelectorAll("[data-t]").forEach((el) => {
      el.textContent = window.t(el.dataset.t);
    });
    $("#lang").textContent = window.lang === "en" ? "中文" : "English";
    if (state.me) { showRole(); }
    fillScenarios();
    if (window.check) { window.check.redraw(); }
    if (window.duty) { window.duty.redraw(); }
    if (window.drill) { window.drill.redraw(); }
    if (window.maplayers) { window.maplayers.redraw(); }
    if (window.jobs) { window.jobs.redraw(); }
    if (window.site) { window.site.redraw(); }
    if (window.compare) { window.compare.redraw(); }
    if (window.flood) { window.flood.redraw(); }
  }

  function showRole() {
    $("#who-name").textContent = state.me.name;
    $("#who-role").textContent = window.pick(state.me.role_zh, state.me.role);
    $("#who-role").dataset.role = state.me.role;
  }

  // Hide every control the role may not use (class "may-<action>"); the API refuses anyway.
  function applyRole() {
    document.querySelectorAll("[class*='may-']").forEach((el) => {
      const action = [...el.classList].find((c) => c.startsWith("may-")).slice(4);
      el.hidden = !state.me.may[action];
    });
    $("#readonly-note").hidden = state.me.may.run_jobs;
  }

  // Back to the form with the API's reason, in both languages.
  function refused(exc) {
    window.api.clearToken();
    state.me = null;
    showLogin();
    const [zh, en] = window.LABELS.bad_token;
    window.showProblem($("#login-error"), zh + "(" + exc.problem_zh + ")",
      en + " (" + exc.problem + ")");
  }

  async function enter() {
    try {
      state.me = await window.api.get("/me");
    } catch (exc) {
      if (exc instanceof window.api.ApiError && exc.status === 401) {
        refused(exc);
      } else {
        window.api.clearToken();
        showLogin();
        window.showProblem($("#login-error"), exc.problem_zh || String(exc),
          exc.problem || String(exc));
      }
      return;
    }
    $("#login").hidden = true;
    $("#workspace").hidden = false;
    $("#who").hidden = false;
    $("#logout").hidden = false;
    showRole();
    applyRole();
    startMap();
    await loadPickers();
    if (window.duty) { await window.duty.ready(); }
    if (window.site) { await window.site.ready(); }
    if (window.flood) { await window.flood.ready(); }
    if (window.drill) { await window.drill.enter(); }
    document.body.dataset.ready = "1";
  }

  function showLogin() {
    $("#login").hidden = false;
    $("#workspace").hidden = true;
    $("#who").hidden = true;
    $("#logout").hidden = true;
    document.body.dataset.ready = "login";
  }

  function startMap() {
    if (state.map) { return; }
    state.map = L.map("map", { zoomControl: true, attributionControl: false });
    state.map.setView([37.7, 115.7], 9);
    L.control.scale({ imperial: false }).addTo(state.map);
  }

  async function loadPickers() {
    const [areas, scenarios] = await Promise.all([
      window.api.get("/areas"), window.api.get("/scenarios"),
    ]);
    state.scenarios = scenarios;
    const sel = $("#area");
    sel.textContent = "";
    for (const name of areas) { sel.append(new Option(name, name)); }
    const first = scenarios.find((s) => areas.includes(s.area));
    if (first) { sel.value = first.area; }
    fillScenarios();
    await drawArea(sel.value);
  }

  // The scenario list read again (after an upload), ``name`` picked in ``area``.
  state.reloadScenarios = async (area, name) => {
    state.scenarios = await window.api.get("/scenarios");
    if ($("#area").value !== area && [...$("#area").options].some((o) => o.value === area)) {
      $("#area").value = area;
      $("#area").dispatchEvent(new Event("change"));
    }
    fillScenarios();
    $("#scenario").value = name;
  };

  function fillScenarios() {
    const sel = $("#scenario");
    const area = $("#area").value;
    const keep = sel.value;
    sel.textContent = "";
    for (const s of state.scenarios.filter((x) => x.area === area)) {
      const tag = window.t(s.source === "library" ? "library" : "stored");
      const label = (window.lang === "en" || !s.name_zh ? s.name : s.name_zh + " " + s.name);
      sel.append(new Option(label + " (" + tag + ")", s.name));
    }
    if ([...sel.options].some((o) => o.value === keep)) { sel.value = keep; }
  }

  // The area's own layers and legend from this service (maplayers.js; no tiles from anywhere).
  async function drawArea(area) {
    await window.maplayers.draw(area);
    await window.registry.load(area);
  }

  document.addEventListener("DOMContentLoaded", () => {
    translate();
    window.api.onRefused(refused);
    window.api.onOffline((down) => {
      const el = $("#connection");
      el.hidden = !down;
      if (down) { window.showProblem(el, window.LABELS.offline[0], window.LABELS.offline[1]); }
    });
    $("#login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const secret = ev.target.elements.token.value.trim();
      $("#login-error").hidden = true;
      if (!secret) {
        window.showProblem($("#login-error"), ...window.LABELS.no_token);
        return;
      }
      window.api.setToken(secret);
      enter();
    });
    $("#logout").addEventListener("click", () => {
      window.api.clearToken();
      state.me = null;
      $("#login-form").reset();
      showLogin();
    });
    $("#lang").addEventListener("click", () => {
      window.lang = window.lang === "en" ? "zh" : "en";
      sessionStorage.setItem("relief.lang", window.lang);
      translate();
    });
    $("#area").addEventListener("change", () => {
      fillScenarios();
      drawArea($("#area").value);
    });
    if (window.api.token()) { enter(); } else { showLogin(); }
    document.fonts.load('16px "Relief Sans"', "救灾").then(() => {
      document.body.dataset.fonts = "1";
    });
  });
})();
