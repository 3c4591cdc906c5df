"use strict";
// The registry, edited inline: a depot's stock per item and shelters' capacities. Each save
// sends the version it was read at; a stale version (409) says who changed it and to what,
// from the audit trail, keeps the typed value, and offers to read it again.
window.registry = (function () {
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;
  let area = null;
  let depots = [];
  let shelters = [];

  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
  }

  function button(key, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.dataset.t = key;
    b.textContent = window.t(key);
    b.addEventListener("click", onClick);
    return b;
  }

  // One editable row: ``label``, the value and version read, and how to save and re-read.
  // ``edit.save(value, version)`` answers {value, version}; ``edit.fresh()`` the value now;
  // ``edit.target`` is the audit trail's name for the record; ``edit.reload()`` redraws.
  function editRow(body, key, label, value, version, edit) {
    const row = body.insertRow();
    row.dataset.key = key;
    row.insertCell().textContent = label;
    const input = document.createElement("input");
    input.type = "number";
    input.min = "0";
    input.step = "1";
    input.name = "value-" + key;
    input.value = value;
    input.dataset.version = version;
    const may = Boolean(window.ws.me && window.ws.me.may.write_stock);
    input.disabled = !may;
    row.insertCell().append(input);
    const act = row.insertCell();
    const msg = document.createElement("div");
    msg.className = "row-message";
    msg.hidden = true;
    const under = body.insertRow();
    under.className = "message-row";
    const c = under.insertCell();
    c.colSpan = 3;
    c.append(msg);
    if (!may) { return; }
    act.append(button("save", "save", async () => {
      msg.hidden = true;
      msg.className = "row-message";
      const mine = Number(input.value);
      try {
        const got = await edit.save(mine, Number(input.dataset.version));
        input.dataset.version = got.version;
        msg.textContent = window.t("saved");
        msg.className = "row-message saved";
        msg.hidden = false;
      } catch (exc) {
        if (exc.status !== 409) {
          window.showProblem(msg, exc.problem_zh || String(exc), exc.problem || String(exc));
          msg.className = "row-message problem";
          return;
        }
        const trail = await window.api.get("/audit?limit=1000");
        const last = trail.find((e) => e.target === edit.target) || {};
        const vars = {
          who: (last.token || "?") + " (" + (last.role || "?") + ")",
          at: last.at ? new Date(last.at).toLocaleString("zh-CN", { hour12: false }) : "?",
          now: await edit.fresh(),
          mine,
        };
        window.showProblem(msg, fill(window.LABELS.changed_by[0], vars),
          fill(window.LABELS.changed_by[1], vars));
        msg.className = "row-message problem stale";
        msg.append(document.createElement("br"), button("reload", "reload", edit.reload));
      }
    }));
  }

  const depotsUrl = () => "/areas/" + enc(area) + "/depots";
  const sheltersUrl = () => "/areas/" + enc(area) + "/shelters";

  async function load(name) {
    area = name;
    [depots, shelters] = await Promise.all([
      window.api.get(depotsUrl()), window.api.get(sheltersUrl()),
    ]);
    const sel = $("#stock-depot");
    const keep = sel.value;
    sel.textContent = "";
    for (const d of depots) { sel.append(new Option(d.name + " (" + d.id + ")", d.id)); }
    if (depots.some((d) => d.id === keep)) { sel.value = keep; }
    drawStock();
    drawShelters();
  }

  function drawStock() {
    const body = $("#stock-table tbody");
    body.textContent = "";
    const d = depots.find((x) => x.id === $("#stock-depot").value);
    if (!d) { return; }
    for (const item of Object.keys(d.stock).sort()) {
      const url = depotsUrl() + "/" + enc(d.id) + "/stock/" + enc(item);
      editRow(body, item, item, d.stock[item], d.versions[item] || 0, {
        target: area + "/" + d.id + "/" + item,
        save: async (quantity, version) => {
          const got = await window.api.put(url, { quantity, expected_version: version });
          d.stock[item] = got.quantity;
          d.versions[item] = got.version;
          return { value: got.quantity, version: got.version };
        },
        fresh: async () => {
          depots = await window.api.get(depotsUrl());
          return (depots.find((x) => x.id === d.id) || d).stock[item];
        },
        reload: drawStock,
      });
    }
  }

  function drawShelters() {
    const body = $("#shelter-table tbody");
    body.textContent = "";
    for (const p of shelters) {
      const url = sheltersUrl() + "/" + enc(p.id);
      editRow(body, p.id, p.name || p.id, p.capacity, p.version, {
        target: area + "/" + p.id,
        save: async (capacity, version) => {
          const got = await window.api.put(url, { capacity, expected_version: version });
          Object.assign(p, got);
          return { value: got.capacity, version: got.version };
        },
        fresh: async () => {
          shelters = await window.api.get(sheltersUrl());
          return (shelters.find((x) => x.id === p.id) || p).capacity;
        },
        reload: drawShelters,
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#stock-depot").addEventListener("change", drawStock);
  });
  return { load };
})();
