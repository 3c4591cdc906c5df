"""PDF from the printable HTML pages, when a Chromium is on the machine (optional).

The pages print to PDF from any browser; this saves the step where a headless Chromium (or
Chrome) is installed: ``chromium --headless --print-to-pdf``, A4 from the pages' own
``@page`` rule, without the browser's header and footer. Without one, no PDF is written
and the caller says so; nothing else depends on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Browser executables tried in order (Debian's chromium first, as CI installs it).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Environment variable naming a browser executable explicitly.
BROWSER_ENV = "RELIEF_CHROMIUM"


def find_browser() -> str | None:
    """The path of a Chromium-family browser, or None when there is none."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        return named if Path(named).is_file() else shutil.which(named)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: Path, pdf: Path, *, timeout_s: float = 300.0) -> Path | None:
    """Print ``html`` to ``pdf`` with a headless browser; None when there is no browser.

    The PDF is written to a temporary file and moved into place, so a failed print never
    leaves half a file.

    Raises
    ------
    RuntimeError
        When the browser runs but writes no PDF (its error output is in the message).
    """
    browser = find_browser()
    if browser is None:
        return None
    pdf.parent.mkdir(parents=True, exist_ok=True)
    out = pdf.with_name(f".{pdf.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="relief-pdf-") as tmp:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-extensions",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
            if not out.is_file() or out.stat().st_size == 0:
                raise RuntimeError(f"{browser} wrote no PDF: {done.stderr.strip()[-400:]}")
            os.replace(out, pdf)
        finally:
            out.unlink(missing_ok=True)
    return pdf


def pages_to_pdf(pages: list[Path]) -> list[Path] | None:
    """Print each HTML page beside itself as ``.pdf``; None when there is no browser."""
    if find_browser() is None:
        return None
    out = []
    for page in pages:
        pdf = html_to_pdf(page, page.with_suffix(".pdf"))
        if pdf is not None:
            out.append(pdf)
    return out
