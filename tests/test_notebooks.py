"""Every notebook in notebooks/ is committed with its outputs, small, bilingual, and runs.

``make notebooks`` (tests/run_notebooks.py) executes them and writes the outputs in place.
"""

import re
from pathlib import Path

import nbformat
import pytest

from tests.run_notebooks import (
    MAX_HTML_BYTES,
    MAX_PNG_PX,
    NOTEBOOKS_DIR,
    errors,
    execute,
    png_width,
)

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
RUN = "run `make notebooks` and commit the notebooks"
_HEAD = re.compile(r"<thead>(.*?)</thead>", re.S)
_TH = re.compile(r"<th[^>]*>(.*?)</th>", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _code(path: Path) -> list[nbformat.NotebookNode]:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_shows_every_cells_output(path):
    """Every code cell was run, top to bottom in one session, and shows an output, no error."""
    cells = _code(path)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), RUN
    empty = [k for k, c in enumerate(cells) if not c.outputs]
    assert not empty, f"code cells {empty} show no output: {RUN}"
    assert not errors(nbformat.read(path, as_version=4)), RUN


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_outputs_are_small(path):
    """Images are PNGs at most a page wide; no huge HTML; the file stays under 1.5 MB."""
    assert path.stat().st_size < 1_500_000
    for cell in _code(path):
        for out in cell.outputs:
            data = out.get("data", {})
            assert not {"image/jpeg", "image/svg+xml", "application/javascript"} & set(data)
            if "image/png" in data:
                assert png_width(data["image/png"]) <= MAX_PNG_PX
            assert len("".join(data.get("text/html", "")).encode()) <= MAX_HTML_BYTES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_tables_label_their_columns_in_chinese_and_english(path):
    """Every column header of every table shown carries Chinese and English text."""
    bad = []
    for cell in _code(path):
        for out in cell.outputs:
            html = "".join(out.get("data", {}).get("text/html", ""))
            for head in _HEAD.findall(html):
                for th in _TH.findall(head):
                    text = th.strip()
                    if text and not (_CJK.search(text) and _LATIN.search(text)):
                        bad.append(text)
    assert not bad, f"column labels not in Chinese and English: {sorted(set(bad))}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_notebook_runs(path):
    """The notebook executes without an error on a fresh kernel (nothing is written back)."""
    nb = execute(nbformat.read(path, as_version=4), path.parent)
    assert not errors(nb)
