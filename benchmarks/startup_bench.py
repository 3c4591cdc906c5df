"""Benchmark family ``startup``: how long each ``relief`` command takes before it can answer.

Each command runs as a fresh process (``python -m service.cli …``), ``--repeat`` times; the
table shows the median and the slowest wall time, and the heaviest imports of the command
(``python -X importtime``, cumulative microseconds, top three). The peer is the bare
interpreter (``python -c pass``) in the same run: what no command can go below. The target
for ``relief --help`` and ``relief token create`` is under 1 s (issue #18).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS = ["command", "median_s", "max_s", "heaviest_imports"]

#: (label, arguments after ``python -m service.cli``). ``{db}`` is a SQLite URL; a command
#: ending in ``--name`` gets a new name each run (token names are unique).
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("relief --help", ("--help",)),
    ("relief check --help", ("check", "--help")),
    ("relief dispatch --help", ("dispatch", "--help")),
    ("relief site --help", ("site", "--help")),
    ("relief token create", ("token", "create", "--role", "viewer", "--db", "{db}", "--name")),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=5, help="runs per command")


def _timed(argv: list[str]) -> float:
    tic = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - tic


#: Our own packages: their modules are named one level down (``service.maps``).
OURS = ("service", "scenarios", "solver", "geodata")


def _heaviest(argv: list[str], top: int = 3) -> str:
    """The ``top`` libraries (or our modules) with the largest cumulative import time."""
    out = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], capture_output=True)
    best: dict[str, int] = {}
    for line in out.stderr.decode("utf-8", "replace").splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cum, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] in OURS else parts[0]
        if key.startswith("service.cli") or key in OURS:
            continue  # the command itself
        best[key] = max(best.get(key, 0), int(cum))
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{n} {c / 1e6:.2f} s" for n, c in ranked)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    db = Path(tempfile.mkdtemp(prefix="relief-startup-")) / "relief.db"
    url = f"sqlite:///{db}"
    # Create and migrate the database once: a duty room's service has its database already.
    setup = ("token", "create", "--name", "setup", "--role", "viewer", "--db", url)
    subprocess.run([sys.executable, "-m", "service.cli", *setup], check=True, capture_output=True)
    rows: list[dict[str, Any]] = []
    peer = [sys.executable, "-c", "pass"]
    times = [_timed(peer) for _ in range(args.repeat)]
    rows.append(
        {
            "command": "python -c pass (peer: the interpreter)",
            "median_s": statistics.median(times),
            "max_s": max(times),
            "heaviest_imports": "",
        }
    )
    for name, argv in COMMANDS:
        full = [sys.executable, "-m", "service.cli", *(url if a == "{db}" else a for a in argv)]
        named = full[-1] == "--name"
        times = [_timed([*full, f"bench-{k}"] if named else full) for k in range(args.repeat)]
        if named:
            full.append("bench-imports")
        rows.append(
            {
                "command": name,
                "median_s": statistics.median(times),
                "max_s": max(times),
                "heaviest_imports": _heaviest(full),
            }
        )
    return rows
