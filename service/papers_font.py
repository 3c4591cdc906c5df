"""The bundled CJK font, cut down to the characters of one page and embedded in it.

Printed papers travel: a driver sheet is opened on whatever computer the duty room has,
often without Chinese fonts (Debian's Chromium in CI has none). So every HTML page carries
its own font: the bundled Noto Sans SC subset (``service/assets``, OFL) cut to the page's
characters and inlined as a WOFF data URL, about 60-150 KB for a full plan, with no file
beside the page to lose.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

#: Noto Sans CJK SC cut to GB 2312 and the bundled names (built by ``assets/make_font.py``).
FONT_FILE = Path(__file__).parent / "assets" / "NotoSansSC-Subset.otf"
#: The CSS family name of the embedded font.
FAMILY = "ReliefSans"
#: Characters always kept (ASCII and the marks the papers draw), whatever the page holds.
ALWAYS = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("·–—→←√×□■○●≥≤…、。,:;()")


@lru_cache(maxsize=8)
def _woff(chars: frozenset[str]) -> bytes:
    """The font cut to ``chars`` as WOFF bytes (no layout features: horizontal text only)."""
    font = TTFont(FONT_FILE)
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = []
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(ord(c) for c in chars))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the font with every character of ``text``."""
    chars = frozenset(c for c in set(text) if not c.isspace()) | ALWAYS
    data = base64.b64encode(_woff(chars)).decode("ascii")
    return (
        f'@font-face {{ font-family: "{FAMILY}"; '
        f'src: url(data:font/woff;base64,{data}) format("woff"); font-display: block; }}'
    )
