"use strict";
// The area's own map (no tiles from anywhere): county boundaries, roads by class, rivers,
// depots by tier, shelters, all from GET /areas/{area}/layers/{layer}; flood polygons coloured
// by depth; and a legend (Chinese first, English on the toggle) whose boxes show or hide each.
Object.assign(window.LABELS, {
  legend_title: ["图例", "Legend"],
  layer_boundaries: ["县(市、区)界", "County boundaries"],
  layer_rivers: ["河流", "Rivers"],
  layer_shelters: ["避难场所", "Shelters"],
  road_expressway: ["高速公路", "Expressway"],
  road_national: ["国道", "National road"],
  road_provincial: ["省道", "Provincial road"],
  road_county: ["县道", "County road"],
  road_township: ["乡道", "Township road"],
  flood_depth: ["洪水水深", "Flood depth"],
  depth_unknown: ["水深未知", "depth unknown"],
});

window.maplayers = (function () {
  const enc = encodeURIComponent;
  // Presentation only: colours and widths. Roads from the widest class down.
  const ROADS = {
    expressway: ["#c62828", 3], national: ["#ef6c00", 2.5], provincial: ["#f9a825", 2],
    county: ["#8d6e63", 1.3], township: ["#bcaaa4", 0.7],
  };
  const TIERS = {
    municipal: ["#7b1fa2", 9], county: ["#1565c0", 7], township: ["#00838f", 5],
    enterprise: ["#6d4c41", 5], community: ["#546e7a", 4],
  };
  // A tier's Chinese name comes with the depot (solver/defaults.py Tier.zh); its English here.
  const TIER_EN = {
    municipal: "Municipal depot", county: "County depot", township: "Township station",
    enterprise: "Agreement (enterprise) stock", community: "Community, school or hospital stock",
  };
  // Depth bands at the fording depths of solver/sources.py "ford-depth": cars 0.3 m,
  // emergency vehicles 0.6 m, heavy vehicles stopped by 1.1–1.5 m. 99 m is "unknown"
  // (geodata/flood.py UNKNOWN_DEPTH_M).
  const DEPTHS = [
    [0.3, "#bbdefb", "< 0.3 m"], [0.6, "#64b5f6", "0.3–0.6 m"], [1.5, "#1e88e5", "0.6–1.5 m"],
    [99, "#0d47a1", "≥ 1.5 m"], [Infinity, "#78909c", null],
  ];
  const st = { area: null, groups: new Map(), shown: new Map(), roads: null, flood: null,
    tiers: new Map(), drawn: null };
  let control = null;

  const layerUrl = (area, name) => "/areas/" + enc(area) + "/layers/" + name;
  const band = (depth) => DEPTHS.find(([upTo]) => Number(depth) < upTo) || DEPTHS[4];

  function panes(map) {
    for (const [name, z] of [["mapBase", 350], ["mapRoads", 360], ["mapFlood", 370]]) {
      if (!map.getPane(name)) { map.createPane(name).style.zIndex = String(z); }
    }
  }

  // A legend row's group: shown unless the user unticked it.
  function put(key, layer) {
    st.groups.set(key, layer);
    if (st.shown.get(key) !== false) { layer.addTo(window.ws.map); }
  }

  function clear() {
    for (const layer of st.groups.values()) { layer.remove(); }
    st.groups.clear();
    st.tiers.clear();
  }

  function drawBoundaries(fc) {
    put("boundaries", L.geoJSON(fc, {
      pane: "mapBase",
      style: { color: "#666", weight: 1, fill: true, fillColor: "#f4f2ee", fillOpacity: 0.6 },
      onEachFeature: (f, layer) => layer.bindTooltip(() => f.properties.name || ""),
    }));
  }

  function drawRivers(fc) {
    if (!fc.features.length) { return; }
    put("rivers", L.geoJSON(fc, {
      pane: "mapBase", style: { color: "#1e88e5", weight: 2.5, opacity: 0.8 },
      className: "river",
      onEachFeature: (f, layer) => layer.bindTooltip(() => window.pick(f.properties.name,
        f.properties.name_en || f.properties.name), { sticky: true }),
    }));
  }

  function drawRoads(fc) {
    const renderer = L.canvas({ pane: "mapRoads", padding: 0.2 });
    for (const cls of Object.keys(ROADS)) {
      const mine = fc.features.filter((f) => f.properties.road_class === cls);
      if (!mine.length) { continue; }
      const [color, weight] = ROADS[cls];
      put("road_" + cls, L.geoJSON({ type: "FeatureCollection", features: mine }, {
        renderer, interactive: false, style: { color, weight, opacity: 0.8 },
      }));
    }
  }

  function drawDepots(fc) {
    const byTier = new Map();
    for (const f of fc.features) {
      const tier = TIERS[f.properties.tier] ? f.properties.tier : "community";
      if (!byTier.has(tier)) { byTier.set(tier, []); }
      byTier.get(tier).push(f);
      st.tiers.set(tier, f.properties.tier_zh || tier);
    }
    for (const tier of Object.keys(TIERS).filter((x) => byTier.has(x))) {
      const [fill, radius] = TIERS[tier];
      put("tier_" + tier, L.geoJSON({ type: "FeatureCollection", features: byTier.get(tier) }, {
        pointToLayer: (f, ll) => L.circleMarker(ll, {
          radius, color: "#263238", weight: 1, fillColor: fill, fillOpacity: 0.9,
          className: "depot tier-" + tier,
        }),
        onEachFeature: (f, layer) => layer.bindPopup(() => window.t("depot") + ": " +
          f.properties.name + " (" + f.properties.id + ")"),
      }));
    }
  }

  function drawShelters(fc) {
    if (!fc.features.length) { return; }
    put("shelters", L.geoJSON(fc, {
      pointToLayer: (f, ll) => L.circleMarker(ll, {
        radius: 3.5, color: "#1b5e20", weight: 1, fillColor: "#a5d6a7", fillOpacity: 0.9,
        className: "shelter",
      }),
      onEachFeature: (f, layer) => layer.bindPopup(() => window.t("shelter") + ": " +
        f.properties.name + " · " + window.t("capacity") + " " +
        (f.properties.capacity === null ? "—" : f.properties.capacity)),
    }));
  }

  // The area's layers; the map is fitted to its counties. Roads (the largest layer) are
  // drawn when they arrive; ``roads()`` gives them to the duty officer's road picker too.
  async function draw(area) {
    const map = window.ws.map;
    panes(map);
    clear();
    if (st.flood) { st.flood.remove(); }
    st.flood = null;
    st.area = area;
    st.roads = window.api.get(layerUrl(area, "roads"));
    const [bounds, rivers, depots, shelters] = await Promise.all(
      ["boundaries", "rivers", "depots", "shelters"].map((n) => window.api.get(layerUrl(area, n))));
    if (st.area !== area) { return; }  // another area was picked meanwhile
    drawBoundaries(bounds);
    drawRivers(rivers);
    drawShelters(shelters);
    drawDepots(depots);
    const box = st.groups.get("boundaries").getBounds();
    if (box.isValid()) { map.fitBounds(box, { padding: [10, 10] }); }
    legend();
    st.drawn = st.roads.then((roads) => {
      if (st.area !== area) { return; }
      drawRoads(roads);
      legend();
      document.getElementById("map-legend").dataset.drawn = "1";
    });
  }

  // Flood polygons (a FeatureCollection, or the URL of one) coloured by ``depth_m``.
  async function flood(source) {
    const fc = typeof source === "string" ? await window.api.get(source) : source;
    if (st.flood) { st.flood.remove(); }
    st.flood = L.geoJSON(fc, {
      pane: "mapFlood",
      style: (f) => ({ color: "#0d47a1", weight: 1, fillColor: band(f.properties.depth_m)[1],
        fillOpacity: 0.55, className: "flood" }),
      onEachFeature: (f, layer) => layer.bindTooltip(() => {
        const b = band(f.properties.depth_m);
        return (f.properties.name ? f.properties.name + " · " : "") + window.t("flood_depth") +
          " " + (b[2] ? Number(f.properties.depth_m).toFixed(1) + " m" : window.t("depth_unknown"));
      }, { sticky: true }),
    }).addTo(window.ws.map);
    legend();
  }

  function row(box, key, swatch, text) {
    const label = document.createElement("label");
    label.className = "legend-row";
    label.dataset.layer = key;
    const tick = document.createElement("input");
    tick.type = "checkbox";
    tick.checked = st.shown.get(key) !== false;
    tick.addEventListener("change", () => {
      st.shown.set(key, tick.checked);
      const layer = st.groups.get(key);
      if (layer && tick.checked) { layer.addTo(window.ws.map); }
      if (layer && !tick.checked) { layer.remove(); }
    });
    label.append(tick, swatch, document.createTextNode(text));
    box.append(label);
  }

  function swatch(cls, colour, size) {
    const s = document.createElement("span");
    s.className = "legend-swatch " + cls;
    s.style.background = colour;
    if (size) { s.style.width = s.style.height = size + "px"; }
    return s;
  }

  function legend() {
    if (!control) {
      control = L.control({ position: "topright" });
      control.onAdd = () => {
        const div = L.DomUtil.create("div", "map-legend");
        div.id = "map-legend";
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      control.addTo(window.ws.map);
    }
    const box = document.getElementById("map-legend");
    box.textContent = "";
    const title = document.createElement("b");
    title.textContent = window.t("legend_title");
    box.append(title);
    const has = (key) => st.groups.has(key);
    if (has("boundaries")) {
      row(box, "boundaries", swatch("area", "#f4f2ee"), window.t("layer_boundaries"));
    }
    for (const cls of Object.keys(ROADS).filter((c) => has("road_" + c))) {
      row(box, "road_" + cls, swatch("line", ROADS[cls][0]), window.t("road_" + cls));
    }
    if (has("rivers")) { row(box, "rivers", swatch("line", "#1e88e5"), window.t("layer_rivers")); }
    for (const tier of Object.keys(TIERS).filter((x) => has("tier_" + x))) {
      const name = window.pick(st.tiers.get(tier), TIER_EN[tier]);
      row(box, "tier_" + tier, swatch("dot", TIERS[tier][0], 2 + TIERS[tier][1]), name);
    }
    if (has("shelters")) {
      row(box, "shelters", swatch("dot", "#a5d6a7", 8), window.t("layer_shelters"));
    }
    if (st.flood) {
      const head = document.createElement("b");
      head.textContent = window.t("flood_depth");
      box.append(head);
      const used = new Set();
      st.flood.eachLayer((l) => used.add(band(l.feature.properties.depth_m)));
      for (const b of DEPTHS.filter((x) => used.has(x))) {
        const div = document.createElement("div");
        div.className = "legend-row depth";
        div.append(swatch("area", b[1]), document.createTextNode(b[2] || window.t("depth_unknown")));
        box.append(div);
      }
    }
  }

  return {
    draw,
    flood,
    redraw: () => { if (control) { legend(); } },
    roads: () => st.roads || window.api.get(layerUrl(document.getElementById("area").value,
      "roads")),
  };
})();
