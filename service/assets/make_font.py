"""Subset Noto Sans CJK SC to the characters the maps need (run by hand, not in CI).

Usage::

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb deb
    .venv/bin/python service/assets/make_font.py \
        deb/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Keeps ASCII, Latin-1, general punctuation, arrows, maths operators, circled numbers and
shapes, CJK punctuation, full-width forms, the 6,763 hanzi of GB 2312 and every
character in the bundled GeoPackages' text columns, so every bundled name renders. Names
with rarer characters from user data fall back to matplotlib's default font for those
characters. The font is under the SIL Open Font License 1.1 (service/assets/OFL.txt).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pyogrio
from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).parent
SC_INDEX = 2  # "Noto Sans CJK SC" in Debian's NotoSansCJK-Regular.ttc


def gb2312() -> set[str]:
    """The 6,763 hanzi of GB 2312 (rows 16-87)."""
    chars = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([hi, lo]).decode("gb2312"))
    return chars


def bundled_text() -> set[str]:
    """Every character in the text columns of the bundled GeoPackages."""
    chars: set[str] = set()
    for gpkg in (HERE.parents[1] / "geodata" / "data").glob("*.gpkg"):
        for layer, _ in pyogrio.list_layers(gpkg):
            df = pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)
            for col in df.columns:
                if df[col].dtype == object:
                    chars.update("".join(map(str, df[col].dropna())))
    return chars


def main(ttc: str) -> None:
    """Write NotoSansSC-Subset.otf beside this script."""
    font = TTCollection(ttc).fonts[SC_INDEX]
    text = set(map(chr, range(0x20, 0x7F))) | set(map(chr, range(0xA0, 0x100)))
    text |= set(map(chr, range(0x3000, 0x3040))) | set(map(chr, range(0xFF00, 0xFFF0)))
    # Punctuation, arrows, maths, circled numbers and shapes that titles and legends use.
    for lo, hi in (
        (0x2000, 0x2070),
        (0x2190, 0x2200),
        (0x2200, 0x2300),
        (0x2460, 0x2500),
        (0x25A0, 0x2600),
    ):
        text |= set(map(chr, range(lo, hi)))
    text |= set("—–‘’“”…·×㎡²³") | gb2312() | bundled_text()
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(text)))
    sub.subset(font)
    out = HERE / "NotoSansSC-Subset.otf"
    font.save(out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB, {len(text)} characters")


if __name__ == "__main__":
    main(sys.argv[1])
