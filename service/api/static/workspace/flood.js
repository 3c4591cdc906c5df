"use strict";
// The planner's own floods: a polygon drawn on the map (click the vertices; double-click or
// Finish closes it) or a GeoJSON file, each with a depth in metres, stored through
// POST /areas/{area}/floods (the API checks it: edges that cross, a file that is not GeoJSON,
// an absurd depth are refused, and said here next to these controls with the drawing or the
// file choice kept). The area's stored floods are listed from GET /areas/{area}/floods; the
// ticked ones go into the next check's options.floods (check.js).
Object.assign(window.LABELS, {
  flood_title: ["洪水范围(绘制或上传)", "Flood extent (drawn or uploaded)"],
  flood_name: ["名称", "Name"],
  flood_depth_m: ["水深(米)", "Depth (m)"],
  flood_draw: ["在地图上绘制", "Draw on the map"],
  flood_finish: ["完成绘制", "Finish"],
  flood_undo: ["撤销顶点", "Undo vertex"],
  flood_clear: ["清除", "Clear"],
  flood_save: ["保存绘制的范围", "Save the drawing"],
  flood_file: ["或上传 GeoJSON 文件", "Or upload a GeoJSON file"],
  flood_upload: ["上传文件", "Upload the file"],
  flood_list: ["已保存的洪水范围(勾选者用于下次核查)", "Stored floods (ticked ones go into the next check)"],
  flood_none: ["尚无已保存的洪水范围。", "No flood stored yet."],
  flood_vertices: ["已绘制 {n} 个顶点", "{n} vertices drawn"],
  flood_drawing: ["请在地图上逐点单击,双击或点“完成绘制”结束。",
    "Click each vertex on the map; double-click or press Finish to close it."],
  flood_too_few: ["洪水范围至少需要三个顶点。", "A flood polygon needs at least three vertices."],
  flood_no_file: ["请先选择 GeoJSON 文件。", "Choose a GeoJSON file first."],
  flood_saved: ["已保存:{name}(已勾选,用于下次核查)", "Saved: {name} (ticked for the next check)"],
  flood_features: ["{n} 个面", "{n} polygons"],
  // The API's refusal of crossing edges says this in Chinese (geodata/flood.py); kept here
  // so that the web font has its characters.
  flood_crossing: ["洪水范围的边相互交叉(自相交),请重新绘制", "its edges must not cross"],
});

window.flood = (function () {
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;
  const fill = (key, vars) => window.t(key).replace(/\{(\w+)\}/g, (m, k) => vars[k]);
  const st = { vertices: [], drawing: false, draft: null, ticked: new Set(), list: [] };

  const area = () => $("#area").value;

  function clearMessages() {
    $("#flood-error").hidden = true;
    $("#flood-done").hidden = true;
  }

  // The API's refusal next to the controls, both languages, naming the field it names.
  function refused(exc) {
    const where = exc.field ? " [" + exc.field + "]" : "";
    window.showProblem($("#flood-error"), (exc.problem_zh || String(exc)) + where,
      (exc.problem || String(exc)) + where);
  }

  function drawDraft() {
    const map = window.ws.map;
    if (st.draft) { st.draft.remove(); }
    st.draft = L.layerGroup().addTo(map);
    if (st.vertices.length > 1) {
      const shape = st.drawing && st.vertices.length < 3 ? L.polyline : L.polygon;
      shape(st.vertices, {
        color: "#0d47a1", weight: 2, dashArray: st.drawing ? "5 4" : null,
        fillColor: "#64b5f6", fillOpacity: 0.35, interactive: false, className: "flood-draft",
      }).addTo(st.draft);
    }
    for (const ll of st.vertices) {
      L.circleMarker(ll, { radius: 4, color: "#0d47a1", weight: 1, fillColor: "#fff",
        fillOpacity: 1, interactive: false, className: "flood-vertex" }).addTo(st.draft);
    }
    const count = $("#flood-vertices");
    count.textContent = st.vertices.length ? fill("flood_vertices", { n: st.vertices.length }) : "";
    count.dataset.n = String(st.vertices.length);
    $("#flood-hint").hidden = !st.drawing;
    $("#flood-finish").disabled = !st.drawing;
    $("#flood-undo").disabled = !st.vertices.length;
    $("#flood-save").disabled = st.drawing || st.vertices.length < 3;
  }

  function onClick(ev) {
    const map = window.ws.map;
    map.closePopup();  // a click on a shelter or depot is a vertex here, not a question
    const last = st.vertices[st.vertices.length - 1];
    // The two clicks of a double-click land on one spot: one vertex.
    if (last && map.latLngToContainerPoint(last).distanceTo(ev.containerPoint) < 5) { return; }
    st.vertices.push(ev.latlng);
    drawDraft();
  }

  function start() {
    const map = window.ws.map;
    clearMessages();
    if (st.drawing) { return; }
    st.vertices = [];
    st.drawing = true;
    map.doubleClickZoom.disable();
    map.getContainer().classList.add("drawing");
    map.on("click", onClick);
    map.on("dblclick", finish);
    drawDraft();
  }

  function stop() {
    const map = window.ws.map;
    st.drawing = false;
    map.off("click", onClick);
    map.off("dblclick", finish);
    map.getContainer().classList.remove("drawing");
    setTimeout(() => map.doubleClickZoom.enable(), 0);  // not for this double-click
  }

  function finish() {
    if (!st.drawing) { return; }
    if (st.vertices.length < 3) {
      window.showProblem($("#flood-error"), ...window.LABELS.flood_too_few);
      return;
    }
    stop();
    drawDraft();
  }

  function clear() {
    if (st.drawing) { stop(); }
    st.vertices = [];
    clearMessages();
    drawDraft();
  }

  function undo() {
    st.vertices.pop();
    drawDraft();
  }

  // POST the layer (JSON text) as ``name`` with the depth box's depth; true when stored.
  async function store(text, name) {
    clearMessages();
    const depth = $("#flood-depth").value.trim();
    const url = "/areas/" + enc(area()) + "/floods?name=" + enc(name) +
      (depth === "" ? "" : "&depth_m=" + enc(depth));
    let layer;
    try {
      layer = await window.api.send("POST", url, text, "application/geo+json");
    } catch (exc) {
      refused(exc);
      return false;
    }
    st.ticked.add(layer.id);
    const done = $("#flood-done");
    done.textContent = fill("flood_saved", { name: layer.name });
    done.dataset.layer = layer.id;
    done.hidden = false;
    await load();
    return true;
  }

  async function saveDrawing() {
    if (st.vertices.length < 3) {
      window.showProblem($("#flood-error"), ...window.LABELS.flood_too_few);
      return;
    }
    const ring = st.vertices.map((ll) => [ll.lng, ll.lat]);
    ring.push(ring[0]);
    const fc = { type: "FeatureCollection", features: [{ type: "Feature", properties: {},
      geometry: { type: "Polygon", coordinates: [ring] } }] };
    const name = $("#flood-name").value.trim() || window.t("flood_draw");
    if (await store(JSON.stringify(fc), name)) { clear(); $("#flood-done").hidden = false; }
  }

  async function uploadFile() {
    const file = $("#flood-file").files[0];
    if (!file) {
      window.showProblem($("#flood-error"), ...window.LABELS.flood_no_file);
      return;
    }
    const name = $("#flood-name").value.trim() || file.name.replace(/\.[^.]*$/, "");
    await store(await file.text(), name);  // the file stays chosen either way
  }

  function drawList() {
    const ul = $("#flood-list");
    ul.textContent = "";
    if (!st.list.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = window.t("flood_none");
      ul.append(li);
    }
    for (const layer of st.list) {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const tick = document.createElement("input");
      tick.type = "checkbox";
      tick.className = "flood-use";
      tick.value = layer.id;
      tick.checked = st.ticked.has(layer.id);
      tick.addEventListener("change", () => {
        if (tick.checked) { st.ticked.add(layer.id); } else { st.ticked.delete(layer.id); }
      });
      label.append(tick, document.createTextNode(" " + layer.name + " · " +
        fill("flood_features", { n: layer.features })));
      li.append(label);
      ul.append(li);
    }
  }

  // The area's stored floods (ticks kept for those still listed).
  async function load() {
    const name = area();
    if (!name) { return; }
    const list = await window.api.get("/areas/" + enc(name) + "/floods");
    if (name !== area()) { return; }
    st.list = list;
    const ids = new Set(list.map((x) => x.id));
    st.ticked = new Set([...st.ticked].filter((id) => ids.has(id)));
    drawList();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#flood-draw").addEventListener("click", start);
    $("#flood-finish").addEventListener("click", finish);
    $("#flood-undo").addEventListener("click", undo);
    $("#flood-clear").addEventListener("click", clear);
    $("#flood-save").addEventListener("click", saveDrawing);
    $("#flood-upload").addEventListener("click", uploadFile);
    $("#area").addEventListener("change", () => { clear(); load(); });
  });

  return {
    ready: async () => { drawDraft(); await load(); },
    redraw: () => { if (window.ws.map) { drawDraft(); drawList(); } },
    // The ids of the stored floods ticked for the next check (check.js: options.floods).
    ticked: () => st.list.map((x) => x.id).filter((id) => st.ticked.has(id)),
  };
})();
