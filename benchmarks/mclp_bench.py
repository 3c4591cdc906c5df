"""Family `mclp` (see location_bench.py for the formats and conventions)."""

from benchmarks.location_bench import COLUMNS, add_arguments
from benchmarks.location_bench import run_mclp as run

__all__ = ["COLUMNS", "add_arguments", "run"]
