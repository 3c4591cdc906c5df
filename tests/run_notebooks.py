"""Execute notebooks/*.ipynb and write their outputs in place: ``make notebooks``.

The notebooks are committed with their outputs so that a reader sees the results without
running them; ``tests/test_notebooks.py`` checks the committed outputs and runs each notebook
again on a fresh kernel (without writing). Outputs are kept small for the repository: PNGs
are scaled to at most :data:`MAX_PNG_PX` wide, an HTML rendering larger than
:data:`MAX_HTML_BYTES` is dropped in favour of its plain text, and no timing is recorded.

Usage: ``python -m tests.run_notebooks [NOTEBOOK ...]`` (default: all).
"""

from __future__ import annotations

import base64
import io
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from PIL import Image

NOTEBOOKS_DIR = Path(__file__).parents[1] / "notebooks"
#: Widest stored image, pixels (a page width on screen).
MAX_PNG_PX = 900
#: Largest stored HTML rendering of one output (a table of a few dozen rows).
MAX_HTML_BYTES = 40_000
#: Longest a cell may run, seconds.
CELL_TIMEOUT_S = 300


def execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` on a fresh kernel started in ``folder``; returns ``nb``."""
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return nb


def errors(nb: nbformat.NotebookNode) -> list[str]:
    """The error outputs of ``nb``'s code cells, as "cell k: Name: message"."""
    return [
        f"cell {k}: {o.get('ename')}: {o.get('evalue')}"
        for k, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]


def png_width(data: str) -> int:
    """Width in pixels of a base64 PNG."""
    with Image.open(io.BytesIO(base64.b64decode(data))) as im:
        return int(im.width)


def _smaller_png(data: str) -> str:
    """At most :data:`MAX_PNG_PX` wide, and a 256-colour palette where that is smaller."""
    with Image.open(io.BytesIO(base64.b64decode(data))) as im:
        wide = im.width > MAX_PNG_PX
        if wide:
            im = im.resize((MAX_PNG_PX, round(im.height * MAX_PNG_PX / im.width)), Image.LANCZOS)
        elif len(data) < 50_000:
            return data
        candidates = [im.convert("RGBA"), im.convert("RGBA").quantize(256, Image.FASTOCTREE)]
        encoded = []
        for candidate in candidates:
            out = io.BytesIO()
            candidate.save(out, format="PNG", optimize=True)
            encoded.append(base64.b64encode(out.getvalue()).decode("ascii"))
    best = min(encoded, key=len)
    return best if wide or len(best) < len(data) else data


def shrink(nb: nbformat.NotebookNode) -> None:
    """Scale down wide PNGs and drop oversized HTML renderings, in place."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            data = out.get("data", {})
            if "image/png" in data:
                data["image/png"] = _smaller_png(data["image/png"])
            html = data.get("text/html")
            too_big = html is not None and len("".join(html).encode()) > MAX_HTML_BYTES
            if too_big and "text/plain" in data:
                del data["text/html"]


def main(argv: list[str]) -> int:
    """Execute and rewrite the named notebooks (all by default); exit 1 if any failed."""
    # Figures inline, whatever backend the caller's environment names (the Makefile: Agg).
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    paths = [Path(a) for a in argv] or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    failed = 0
    for path in paths:
        tic = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        try:
            execute(nb, path.parent)
        except Exception as exc:  # report every notebook, then fail
            print(f"{path.name}: FAILED after {time.perf_counter() - tic:.0f} s: {exc}")
            failed += 1
            continue
        shrink(nb)
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        tmp.replace(path)
        print(
            f"{path.name}: {time.perf_counter() - tic:.0f} s, "
            f"{path.stat().st_size / 1024:.0f} KB written"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
