"""Static maps (PNG) with Chinese and English labels.

Matplotlib ships no CJK glyphs, so a subset of Noto Sans CJK SC (OFL, built by
``service/assets/make_font.py``) is registered on first use; Latin text keeps DejaVu Sans.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import font_manager, rcParams

FONT_FILE = Path(__file__).parent / "assets" / "NotoSansSC-Subset.otf"
_registered = False


def use_cjk_font() -> str:
    """Register the bundled CJK font with matplotlib and make it the default; return its name."""
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(FONT_FILE))
        _registered = True
    name = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    return name
