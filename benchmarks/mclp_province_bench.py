"""Family `mclp-province`: a synthetic province-scale maximal covering (location_bench.py)."""

from benchmarks.location_bench import COLUMNS
from benchmarks.location_bench import add_province_arguments as add_arguments
from benchmarks.location_bench import run_province as run

__all__ = ["COLUMNS", "add_arguments", "run"]
