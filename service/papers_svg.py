"""Pictures inside the printed papers, as inline SVG: a route map per vehicle and QR codes.

SVG keeps the pages self-contained and sharp in print, and costs milliseconds per vehicle
(a matplotlib PNG per vehicle would take seconds for a plan of 200 trucks). The route map
draws the area's roads by class and its rivers inside the route's box, the truck's path
(out solid, back dashed), the depot, numbered stops, a scale bar and a north arrow.
"""

from __future__ import annotations

from collections.abc import Sequence

import segno

from service.i18n import Lang, pick
from service.map_scale import KM_PER_DEG_LAT, km_per_deg_lon, nice_km
from service.papers_data import DriverSheet, Line
from service.papers_places import Place, RoadLines
from service.papers_text import e

#: Road classes from most to least important: stroke width and colour.
ROAD_STYLE: dict[str, tuple[float, str]] = {
    "expressway": (2.2, "#e08e0b"),
    "national": (1.8, "#e0a526"),
    "provincial": (1.5, "#d8b84a"),
    "county": (1.0, "#9a9a9a"),
    "township": (0.5, "#c8c8c8"),
}
#: Minor (township) roads are drawn only on maps at most this wide.
MINOR_ROADS_KM = 20.0
#: The QR codes' mask pattern (0-7).
QR_MASK = 4


def qr_svg(payload: str, *, title: str = "") -> str:
    """A QR code (error correction M) of ``payload`` as inline SVG that fills its box.

    The mask pattern is fixed (any mask reads; choosing the best costs 10 ms a code, seconds
    for a plan of 200 trucks).
    """
    code = segno.make_qr(payload, error="m", mask=QR_MASK, boost_error=False)
    svg = code.svg_inline(scale=1, border=1, omitsize=True)
    label = f"<title>{e(title or payload)}</title>"
    return svg.replace('class="segno">', f'class="qr" role="img">{label}', 1)


class _Frame:
    """Lon/lat to SVG coordinates in a box of ``width`` x ``height`` units, north up."""

    def __init__(self, box: tuple[float, float, float, float], width: float, height: float):
        x0, y0, x1, y1 = box
        self.kx = km_per_deg_lon((y0 + y1) / 2)
        span_x = max((x1 - x0) * self.kx, 0.2)
        span_y = max((y1 - y0) * KM_PER_DEG_LAT, 0.2)
        self.scale = min(width / span_x, height / span_y)  # units per km
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.width, self.height = width, height
        self.span_km = width / self.scale

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.width / 2 + (lon - self.cx) * self.kx * self.scale
        y = self.height / 2 - (lat - self.cy) * KM_PER_DEG_LAT * self.scale
        return round(x, 1), round(y, 1)

    def path(self, line: Line, step: float = 1.0) -> str:
        """An SVG path of ``line``, dropping vertices nearer than ``step`` units to the last."""
        pts = [self.xy(*p) for p in line]
        kept = pts[:1]
        for x, y in pts[1:-1]:
            if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= step:
                kept.append((x, y))
        if len(pts) > 1:
            kept.append(pts[-1])
        return "M" + " L".join(f"{x:g},{y:g}" for x, y in kept)


def _box(
    points: Sequence[tuple[float, float]], pad: float = 0.12
) -> tuple[float, float, float, float]:
    """The lon/lat box of ``points`` with ``pad`` of its size (at least ~1 km) around."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    dx = max(max(xs) - min(xs), 0.02) * pad
    dy = max(max(ys) - min(ys), 0.02) * pad
    return (min(xs) - dx, min(ys) - dy, max(xs) + dx, max(ys) + dy)


def _base(frame: _Frame, box: tuple[float, float, float, float], roads: RoadLines) -> list[str]:
    """Rivers, then the roads inside ``box`` by class (main roads last, on top)."""
    parts: list[str] = []
    near = roads.within(box, minor=frame.span_km <= MINOR_ROADS_KM)
    for line in near.water:
        parts.append(f'<path d="{frame.path(line)}" class="water"/>')
    order = sorted(
        range(len(near.lines)),
        key=lambda k: (
            -list(ROAD_STYLE).index(near.classes[k]) if near.classes[k] in ROAD_STYLE else -99
        ),
    )
    for k in order:
        w, colour = ROAD_STYLE.get(near.classes[k], (0.5, "#c8c8c8"))
        parts.append(
            f'<path d="{frame.path(near.lines[k])}" stroke="{colour}" stroke-width="{w}" '
            'fill="none"/>'
        )
    return parts


def _depot(frame: _Frame, depot: Place, lang: Lang) -> list[str]:
    """The depot as a square marked 库 (D)."""
    if depot.lon is None or depot.lat is None:
        return []
    x, y = frame.xy(depot.lon, depot.lat)
    return [
        f'<rect x="{x - 6}" y="{y - 6}" width="12" height="12" class="depot"/>',
        f'<text x="{x}" y="{y + 3.5}" class="depot-t">{e(pick("库", "D", lang))}</text>',
    ]


def _markers(frame: _Frame, stops: Sequence[tuple[str, float, float]], cls: str) -> list[str]:
    """One rounded marker per place, labelled with every number made there."""
    numbers: dict[tuple[float, float], list[str]] = {}
    for no, lon, lat in stops:
        at_place = numbers.setdefault(frame.xy(lon, lat), [])
        if no not in at_place:
            at_place.append(no)
    parts = []
    for (x, y), nos in numbers.items():
        label = ",".join(nos)
        r = 7 if len(label) == 1 else 4 + 3 * len(label)
        parts.append(
            f'<rect x="{x - r}" y="{y - 7}" width="{2 * r}" height="14" rx="7" class="{cls}"/>'
        )
        parts.append(f'<text x="{x}" y="{y + 3.5}" class="stop-t">{e(label)}</text>')
    return parts


def _svg(title: str, width: float, height: float, parts: Sequence[str]) -> str:
    return (
        f'<svg class="routemap" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" role="img">'
        f"<title>{e(title)}</title>"
        f'<rect width="{width}" height="{height}" class="bg"/>' + "".join(parts) + "</svg>"
    )


def _points(sheets: Sequence[DriverSheet]) -> list[tuple[float, float]]:
    """Every place and path vertex of ``sheets``, and their depots."""
    pts = [
        (v.place.lon, v.place.lat)
        for s in sheets
        for v in s.visits
        if v.place.lon is not None and v.place.lat is not None
    ]
    pts += [p for s in sheets for v in s.visits for line in (*v.path, *v.back_path) for p in line]
    pts += [
        (s.depot.lon, s.depot.lat)
        for s in sheets
        if s.depot.lon is not None and s.depot.lat is not None
    ]
    return pts


def route_svg(
    sheet: DriverSheet, roads: RoadLines, lang: Lang, *, width: float = 300, height: float = 230
) -> str:
    """The vehicle's route on the area's roads, or "" when its places have no coordinates."""
    pts = _points([sheet])
    if not pts:
        return ""
    box = _box(pts)
    frame = _Frame(box, width, height)
    parts = _base(frame, box, roads)
    for v in sheet.visits:
        parts += [f'<path d="{frame.path(line)}" class="back"/>' for line in v.back_path]
    for v in sheet.visits:
        parts += [f'<path d="{frame.path(line)}" class="out"/>' for line in v.path]
    parts += _depot(frame, sheet.depot, lang)
    stops = [
        (str(v.no), v.place.lon, v.place.lat)
        for v in sheet.visits
        if v.place.lon is not None and v.place.lat is not None
    ]
    parts += _markers(frame, stops, "stop")
    parts += [_scale_bar(frame, lang), _north(width, lang)]
    return _svg(sheet.vehicle, width, height, parts)


#: Colours of the vehicles on a depot's map (cycled).
PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457")


def depot_svg(
    depot: Place,
    sheets: Sequence[DriverSheet],
    roads: RoadLines,
    lang: Lang,
    *,
    width: float = 300,
    height: float = 230,
) -> str:
    """A depot's page of the atlas: each truck's routes in its own colour.

    Places are marked with the numbers of the driver sheets that go there; "" when nothing
    has coordinates.
    """
    pts = _points(sheets)
    if not pts:
        return ""
    box = _box(pts)
    frame = _Frame(box, width, height)
    parts = _base(frame, box, roads)
    stops: list[tuple[str, float, float]] = []
    for k, sheet in enumerate(sheets):
        colour = PALETTE[k % len(PALETTE)]
        for v in sheet.visits:
            parts += [
                f'<path d="{frame.path(line)}" class="out" style="stroke:{colour}"/>'
                for line in v.path
            ]
            if v.place.lon is not None and v.place.lat is not None:
                stops.append((sheet.number.lstrip("0") or "0", v.place.lon, v.place.lat))
    parts += _depot(frame, depot, lang)
    parts += _markers(frame, stops, "stop")
    parts += [_scale_bar(frame, lang), _north(width, lang)]
    return _svg(depot.name or depot.id, width, height, parts)


def _scale_bar(frame: _Frame, lang: Lang) -> str:
    """A scale bar in the lower left."""
    km = nice_km(frame.span_km, parts=4)
    length = km * frame.scale
    x, y = 10.0, frame.height - 12
    label = f"{km:g} {pick('公里', 'km', lang)}"
    return (
        f'<g class="scale"><rect x="{x - 3}" y="{y - 13}" width="{length + 40}" height="19" '
        f'class="halo"/><path d="M{x},{y - 4} V{y} H{x + length:.1f} V{y - 4}"/>'
        f'<text x="{x + length + 4:.1f}" y="{y + 1}">{e(label)}</text></g>'
    )


def _north(width: float, lang: Lang) -> str:
    """A north arrow in the upper right."""
    x, y = width - 14, 8
    letter = "N" if lang is Lang.EN else "北"
    return (
        f'<g class="north"><path d="M{x},{y} L{x + 6},{y + 16} L{x},{y + 12} L{x - 6},{y + 16} Z"/>'
        f'<text x="{x}" y="{y + 27}">{letter}</text></g>'
    )
