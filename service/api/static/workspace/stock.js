"use strict";
// Depot stock, edited inline: each save sends the version it was read at; a stale version
// (409) says who changed it, from the audit trail, and offers to read it again.
window.stock = (function () {
  const $ = (sel) => document.querySelector(sel);
  let area = null;
  let depots = [];

  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
  }

  async function load(name) {
    area = name;
    depots = await window.api.get("/areas/" + encodeURIComponent(area) + "/depots");
    const sel = $("#stock-depot");
    const keep = sel.value;
    sel.textContent = "";
    for (const d of depots) { sel.append(new Option(d.name + " (" + d.id + ")", d.id)); }
    if (depots.some((d) => d.id === keep)) { sel.value = keep; }
    draw();
  }

  function draw() {
    const body = $("#stock-table tbody");
    body.textContent = "";
    const d = depots.find((x) => x.id === $("#stock-depot").value);
    if (!d) { return; }
    const may = window.ws.me && window.ws.me.may.write_stock;
    for (const item of Object.keys(d.stock).sort()) {
      const row = body.insertRow();
      row.dataset.item = item;
      row.insertCell().textContent = item;
      const input = document.createElement("input");
      input.type = "number";
      input.min = "0";
      input.step = "1";
      input.name = "qty-" + item;
      input.value = d.stock[item];
      input.dataset.version = d.versions[item] || 0;
      input.disabled = !may;
      row.insertCell().append(input);
      const act = row.insertCell();
      if (may) {
        const save = document.createElement("button");
        save.type = "button";
        save.className = "save";
        save.dataset.t = "save";
        save.textContent = window.t("save");
        save.addEventListener("click", () => put(d, item, input, row));
        act.append(save);
      }
      const msg = document.createElement("div");
      msg.className = "row-message";
      msg.hidden = true;
      const r = body.insertRow();
      r.className = "message-row";
      const c = r.insertCell();
      c.colSpan = 3;
      c.append(msg);
      row.message = msg;
    }
  }

  async function put(d, item, input, row) {
    const msg = row.message;
    msg.hidden = true;
    msg.className = "row-message";
    const quantity = Number(input.value);
    const url = "/areas/" + encodeURIComponent(area) + "/depots/" + encodeURIComponent(d.id) +
      "/stock/" + encodeURIComponent(item);
    try {
      const got = await window.api.put(url, {
        quantity, expected_version: Number(input.dataset.version),
      });
      input.dataset.version = got.version;
      d.stock[item] = got.quantity;
      d.versions[item] = got.version;
      msg.textContent = window.t("saved");
      msg.className = "row-message saved";
      msg.hidden = false;
    } catch (exc) {
      if (exc.status === 409) {
        await stale(d, item, quantity, msg);
      } else {
        window.showProblem(msg, exc.problem_zh || String(exc), exc.problem || String(exc));
        msg.className = "row-message problem";
      }
    }
  }

  // Who changed it and to what (the audit trail), with a button to read it again.
  async function stale(d, item, mine, msg) {
    const target = area + "/" + d.id + "/" + item;
    const trail = await window.api.get("/audit?limit=1000");
    const last = trail.find((e) => e.target === target) || {};
    const fresh = await window.api.get("/areas/" + encodeURIComponent(area) + "/depots");
    const now = (fresh.find((x) => x.id === d.id) || d).stock[item];
    const vars = {
      who: (last.token || "?") + " (" + (last.role || "?") + ")",
      at: last.at ? new Date(last.at).toLocaleString("zh-CN", { hour12: false }) : "?",
      now, mine,
    };
    window.showProblem(msg, fill(window.LABELS.changed_by[0], vars),
      fill(window.LABELS.changed_by[1], vars));
    msg.className = "row-message problem stale";
    const again = document.createElement("button");
    again.type = "button";
    again.className = "reload";
    again.dataset.t = "reload";
    again.textContent = window.t("reload");
    again.addEventListener("click", () => {
      depots = fresh;
      draw();
    });
    msg.append(document.createElement("br"), again);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#stock-depot").addEventListener("change", draw);
  });
  return { load, redraw: draw };
})();
