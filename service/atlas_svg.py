"""A county's map for the check's atlas, as inline SVG.

Built on the papers' map parts (:mod:`service.papers_svg`: frame, roads by class and rivers,
depot squares, scale bar, north arrow), with the county outline and its neighbours, the
flood, the roads the report blames (red, dashed, an ✕ where closed), places coloured by
status and the late places numbered and labelled with their reason. Labels are placed by a
small greedy search (four positions around the marker, the first that overlaps no label
placed before and stays inside the map): SVG has no label engine, and a matplotlib map with
adjustText per county would cost seconds a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.i18n import Lang
from service.papers_places import Place, RoadLines
from service.papers_svg import _base, _box, _depot, _Frame, _north, _scale_bar, _svg
from service.papers_text import e

Ring = tuple[tuple[float, float], ...]
#: Marker colours by status (as the check's PNG map).
STATUS_FILL = {"met": "#2e7d32", "partial": "#f9a825", "late": "#ef6c00", "unmet": "#c62828"}
#: Label font size in map units (the map is 540 units across 190 mm).
LABEL_PX = 8.0


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A demand place on the map; ``no`` > 0 for a late place (its row in the page's table)."""

    lon: float
    lat: float
    status: str
    no: int = 0
    label: str = ""


def _ring_path(frame: _Frame, ring: Ring) -> str:
    return frame.path(ring) + " Z"


def _text_width(text: str) -> float:
    """Estimated width of ``text`` in map units (CJK characters full width, others ~0.58)."""
    return sum(LABEL_PX if ord(c) > 0x2E80 else 0.58 * LABEL_PX for c in text)


def _place_label(
    x: float, y: float, text: str, taken: list[tuple[float, float, float, float]], frame: _Frame
) -> tuple[float, float, str]:
    """Where to write ``text`` beside (x, y): the first free spot of four, else the least bad."""
    w, h = _text_width(text), LABEL_PX + 2
    spots = (
        (x + 7, y + 3, "start", (x + 6, y - h / 2, x + 8 + w, y + h / 2)),
        (x - 7, y + 3, "end", (x - 8 - w, y - h / 2, x - 6, y + h / 2)),
        (x, y - 8, "middle", (x - w / 2, y - 8 - h, x + w / 2, y - 6)),
        (x, y + 15, "middle", (x - w / 2, y + 6, x + w / 2, y + 6 + h)),
    )

    def cost(box: tuple[float, float, float, float]) -> int:
        hits = sum(
            1 for t in taken if box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3]
        )
        outside = box[0] < 0 or box[1] < 0 or box[2] > frame.width or box[3] > frame.height
        return hits + (10 if outside else 0)

    best = min(spots, key=lambda s: cost(s[3]))
    taken.append(best[3])
    return best[0], best[1], best[2]


def county_svg(
    name: str,
    outline: Sequence[Ring],
    neighbours: Sequence[Ring],
    points: Sequence[MapPoint],
    depots: Sequence[Place],
    roads: RoadLines,
    lang: Lang,
    *,
    flood: Sequence[Ring] = (),
    blamed: Mapping[str, tuple[Sequence[tuple[float, float]], bool]] | None = None,
    width: float = 540,
    height: float = 400,
) -> str:
    """The county's map, or "" when nothing in it has coordinates.

    ``blamed`` maps a road id to its line and whether it is closed.
    """
    pts = [p for ring in outline for p in ring] or [(p.lon, p.lat) for p in points]
    pts += [(p.lon, p.lat) for p in points]
    if not pts:
        return ""
    box = _box(pts, pad=0.04)
    frame = _Frame(box, width, height)
    parts = [f'<path d="{_ring_path(frame, r)}" class="flood"/>' for r in flood]
    parts += _base(frame, box, roads)
    parts += [f'<path d="{_ring_path(frame, r)}" class="other"/>' for r in neighbours]
    parts += [f'<path d="{_ring_path(frame, r)}" class="county"/>' for r in outline]
    for rid, (line, closed) in (blamed or {}).items():
        parts.append(
            f'<path d="{frame.path(tuple(line))}" class="blamed"><title>{e(rid)}</title></path>'
        )
        if closed and line:
            x, y = frame.xy(*line[len(line) // 2])
            parts.append(f'<text x="{x}" y="{y + 4}" class="cut">✕</text>')
    for d in depots:
        parts += _depot(frame, d, lang)
    taken: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: p.no > 0):  # late places drawn last, on top
        x, y = frame.xy(p.lon, p.lat)
        fill = STATUS_FILL.get(p.status, "#777")
        if p.no:
            parts.append(f'<circle cx="{x}" cy="{y}" r="6" class="pt" fill="{fill}"/>')
            parts.append(f'<text x="{x}" y="{y + 3}" class="no">{p.no}</text>')
            taken.append((x - 6, y - 6, x + 6, y + 6))
        else:
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" class="pt" fill="{fill}"/>')
    for p in points:
        if p.no and p.label:
            x, y = frame.xy(p.lon, p.lat)
            tx, ty, anchor = _place_label(x, y, p.label, taken, frame)
            parts.append(
                f'<text x="{tx:.1f}" y="{ty:.1f}" class="lab" style="text-anchor:{anchor}">'
                f"{e(p.label)}</text>"
            )
    parts += [_scale_bar(frame, lang), _north(width, lang)]
    return _svg(name, width, height, parts).replace('class="routemap"', 'class="routemap atlas"', 1)
