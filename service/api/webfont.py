"""Build the workspace's web font: the CJK subset cut to the text the workspace shows.

Usage (after changing the workspace's text; the output is committed)::

    .venv/bin/python -m service.api.webfont

Reads ``service/assets/NotoSansSC-Subset.otf`` (OFL, built by ``make_font.py``) and writes
``static/workspace/font.woff`` with the characters of the workspace's own files, the
bilingual labels the API sends (``service/i18n.py``, ``service/report_summary.py``, the
routes' ``problem_zh``), the library scenarios and the bundled areas' place, depot and
county names. A character outside it (a name in an uploaded area) is drawn from the full
subset, which the page lists as the next face and the browser fetches only when needed.
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "service" / "assets" / "NotoSansSC-Subset.otf"
OUT = Path(__file__).parent / "static" / "workspace" / "font.woff"
#: The workspace's own files (HTML, CSS, JavaScript).
PAGE_FILES = tuple(sorted((Path(__file__).parent / "static" / "workspace").glob("*.[hjc]*")))
#: Files whose text the workspace shows: its own, and what the API answers it with.
TEXT_FILES = (
    *PAGE_FILES,
    ROOT / "service" / "i18n.py",
    ROOT / "service" / "report_summary.py",
    ROOT / "solver" / "catalogue.py",  # item names (the drill form's items)
    ROOT / "solver" / "defaults.py",  # depot tier names (the map legend)
    ROOT / "scenarios" / "siting_registry.py",  # siting model names (GET /siting/models)
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted((ROOT / "scenarios" / "library").glob("*.yaml")),
)


def text_of(paths: tuple[Path, ...]) -> set[str]:
    """The characters beyond ASCII in the text files ``paths`` (fonts skipped)."""
    chars: set[str] = set()
    for path in paths:
        if path.suffix not in (".woff", ".otf"):
            chars |= {ch for ch in path.read_text(encoding="utf-8") if ord(ch) >= 0x80}
    return chars


def workspace_text() -> set[str]:
    """Every character the workspace's own files and the API's labels may show.

    ASCII, the password field's bullet and Leaflet's minus are in it too: a character the
    face lacks makes the browser fetch the fallback face.
    """
    chars = set(map(chr, range(0x20, 0x7F))) | set("—–‘’“”…·•×²³−→←↑↓✓✕⚠●○■□▲△")
    chars |= set(map(chr, range(0x3000, 0x3020))) | set(map(chr, range(0xFF01, 0xFF5F)))
    return chars | text_of(TEXT_FILES)


def bundled_names() -> set[str]:
    """Every character of the names the workspace shows from the bundled areas.

    Place, depot, county and river names (``name``, ``county``) of the point, boundary and
    river layers; road names are not shown yet.
    """
    import pyogrio  # only when building

    chars: set[str] = set()
    for gpkg in sorted((ROOT / "geodata" / "data").glob("*.gpkg")):
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
        for layer in sorted(layers & {"boundaries", "points", "depots", "staging", "rivers"}):
            df = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)
            for col in ("name", "county"):
                if col in df.columns:
                    chars.update("".join(map(str, df[col].dropna())))
    return chars


def main() -> None:
    """Write ``font.woff`` beside the workspace's files."""
    font = TTFont(SOURCE, recalcTimestamp=False)  # the same bytes on every build
    text = workspace_text() | bundled_names()
    have = set(map(chr, font.getBestCmap()))
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(text & have)))
    sub.subset(font)
    font.flavor = "woff"
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size / 1e3:.0f} kB, {len(text & have)} characters")


if __name__ == "__main__":
    main()
