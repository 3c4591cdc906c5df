"""The coverage-vs-number-of-depots curve as a PNG (bundled CJK font, bilingual labels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from geodata.io import write_atomic
from service.i18n import Lang, pick
from service.maps import use_cjk_font


def curve_plot(path: Path, curve: list[dict[str, Any]], *, title: str, lang: Lang) -> None:
    """Coverage (line, left axis) and mean hours on the relief clock (right axis) by p.

    ``curve`` is :meth:`scenarios.siting.SitingReport.curve_json`; bars show the people
    each step newly covers.
    """
    use_cjk_font()
    ps = [c["p"] for c in curve]
    cov = [100 * (c["coverage"] or 0.0) for c in curve]
    fig = Figure(figsize=(7.5, 4.2), dpi=120)
    ax = fig.add_subplot()
    ax.bar(
        ps,
        [
            100 * (c["coverage"] or 0.0) - (100 * (prev["coverage"] or 0.0))
            for prev, c in zip([curve[0], *curve[:-1]], curve, strict=True)
        ],
        color="#a5d6a7",
        label=pick("新增覆盖(百分点)", "newly covered (points)", lang),
    )
    ax.plot(ps, cov, "o-", color="#2e7d32", label=pick("覆盖率 %", "coverage %", lang))
    for x, y in zip(ps, cov, strict=True):
        ax.annotate(
            f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7
        )
    ax.set_xlabel(pick("新建储备库数量 p", "new depots p", lang))
    ax.set_ylabel(pick("时限内覆盖人口 %", "people covered within the standard %", lang))
    ax.set_ylim(0, 105)
    ax.set_xticks(ps)
    clock = [c["mean_clock_h"] for c in curve]
    handles, labels = ax.get_legend_handles_labels()
    if any(h is not None for h in clock):
        ax2 = ax.twinx()
        ax2.plot(
            ps,
            [h if h is not None else float("nan") for h in clock],
            "s--",
            color="#1565c0",
            label=pick("平均到达时刻(小时)", "mean clock hours", lang),
        )
        ax2.set_ylabel(
            pick("救灾时钟上的平均到达(小时)", "mean arrival on the relief clock (h)", lang)
        )
        known = [h for h in clock if h is not None]
        mid = (max(known) + min(known)) / 2
        half = max((max(known) - min(known)) / 2 * 1.2, 0.5)  # never magnify minutes into hours
        ax2.set_ylim(mid - half, mid + half)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="lower center", fontsize=8, framealpha=0.9)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))
