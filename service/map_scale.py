"""Map scale, once: kilometres per degree and a round scale-bar length (SVG and PNG maps)."""

from __future__ import annotations

import math

#: Kilometres per degree of latitude (and of longitude at the equator).
KM_PER_DEG_LAT = 110.57


def km_per_deg_lon(lat: float) -> float:
    """Kilometres per degree of longitude at latitude ``lat``."""
    return KM_PER_DEG_LAT * math.cos(math.radians(lat))


def nice_km(span_km: float, parts: int = 5) -> float:
    """A round length (1, 2 or 5 × 10^n km) near ``span_km / parts``, at least 50 m."""
    target = max(span_km / parts, 0.05)
    base = 10 ** math.floor(math.log10(target))
    for step in (1, 2, 5, 10):
        if base * step >= target * 0.75:
            return float(base * step)
    return float(base * 10)
