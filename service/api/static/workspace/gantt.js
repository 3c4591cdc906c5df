"use strict";
// A dispatch plan as a per-vehicle timeline (Gantt): loading, driving, unloading and the way
// back of every trip, against the target hours (10 h, 12 h). One SVG element per bar and
// one per row label; the hour grid is one path. Bars carry their row and stop as data, and a
// single listener on the chart answers clicks (no listener or tooltip per bar).
window.gantt = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const ROW = 12;
  const LEFT = 150;
  const TOP = 20;
  //: The parts of a trip, each from one plan time to the next (plan.json stop fields).
  const PARTS = [
    ["load", "load_start_h", "loaded_by_h"],
    ["drive", "leave_h", "arrive_h"],
    ["unload", "arrive_h", "depart_h"],
    ["back", "depart_h", "back_h"],
  ];

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // Each vehicle's stops in driving order: its routed stops and (after a re-dispatch) the
  // trips already under way, which are part of its day too.
  function lanes(plan) {
    const by = new Map();
    const add = (vehicle, stop, committed) => {
      if (!by.has(vehicle)) { by.set(vehicle, []); }
      by.get(vehicle).push({ stop, committed });
    };
    for (const s of plan.committed || []) { add(s.vehicle, s, true); }
    for (const r of plan.routes) { for (const s of r.stops) { add(r.vehicle, s, false); } }
    const rows = [...by].map(([vehicle, stops]) => ({
      vehicle, stops: stops.sort((a, b) => a.stop.leave_h - b.stop.leave_h),
    }));
    rows.sort((a, b) => a.stops[0].stop.load_start_h - b.stops[0].stop.load_start_h ||
      (a.vehicle < b.vehicle ? -1 : 1));
    return rows;
  }

  // Draw ``plan`` into ``box``; ``opts.atH`` marks a re-dispatch hour, ``opts.colour(vehicle)``
  // colours a row's label, ``opts.marked`` is a set of vehicles to mark (changed ones).
  function draw(box, plan, opts) {
    const rows = lanes(plan);
    const targets = (plan.kpis.targets || []).map((t) => t.hours);
    let start = Infinity;
    let end = Math.max(12, ...targets);
    for (const row of rows) {
      for (const { stop } of row.stops) {
        start = Math.min(start, stop.load_start_h ?? stop.leave_h);
        end = Math.max(end, stop.back_h ?? stop.depart_h ?? stop.arrive_h);
      }
    }
    start = Math.floor(Number.isFinite(start) ? Math.min(start, opts.atH ?? start) : 0);
    end = Math.ceil(end + 0.25);
    const width = Math.max(600, box.clientWidth - 16);
    const scale = (width - LEFT - 10) / (end - start);
    const x = (h) => LEFT + (h - start) * scale;
    const height = TOP + rows.length * ROW + 4;
    const svg = el("svg", { width, height, class: "gantt-chart", "data-rows": rows.length });
    let grid = "";
    const hours = el("g", { class: "hours" });
    for (let h = start; h <= end; h += 1) {
      grid += `M${x(h).toFixed(1)} ${TOP - 4}V${height}`;
      hours.append(el("text", { x: x(h), y: TOP - 8 }, String(h)));
    }
    svg.append(el("path", { d: grid, class: "grid" }), hours);
    const bars = el("g", { class: "bars" });
    const labels = el("g", { class: "labels" });
    const first = Math.min(...targets);
    rows.forEach((row, i) => {
      const y = TOP + i * ROW;
      const label = el("text", { x: 4, y: y + ROW - 3, "data-row": i }, row.vehicle);
      if (opts.colour) { label.setAttribute("fill", opts.colour(row.vehicle)); }
      if (opts.marked && opts.marked.has(row.vehicle)) { label.classList.add("marked"); }
      labels.append(label);
      row.stops.forEach(({ stop, committed }, k) => {
        for (const [cls, a, b] of PARTS) {
          const from = stop[a];
          const to = stop[b];
          if (from === undefined || to === undefined || to <= from) { continue; }
          let name = "bar " + cls + (committed ? " committed" : "");
          if (cls === "unload" && stop.met_h > first + 1e-9) { name += " late"; }
          bars.append(el("rect", {
            x: x(from).toFixed(1), y: y + 2, width: Math.max(1, (to - from) * scale).toFixed(1),
            height: ROW - 4, class: name, "data-row": i, "data-stop": k,
          }));
        }
      });
    });
    svg.append(bars, labels);
    for (const h of targets) {
      svg.append(el("line", {
        x1: x(h), x2: x(h), y1: TOP - 4, y2: height, class: "target-line", "data-hours": h,
      }), el("text", { x: x(h) + 3, y: TOP - 8, class: "target-label" }, h + " h"));
    }
    if (opts.atH !== undefined && opts.atH !== null) {
      svg.append(el("line", {
        x1: x(opts.atH), x2: x(opts.atH), y1: TOP - 4, y2: height, class: "at-line",
      }));
    }
    box.textContent = "";
    box.append(svg);
    return { rows, svg };
  }

  return { draw, lanes, PARTS };
})();
