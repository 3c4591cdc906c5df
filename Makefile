# One command sets everything up and runs the main job; one sets up and runs the tests.
#   make demo   - the default job on the bundled Hengshui data
#   make test   - lint, type-check, tests and notebooks (what .ci/run calls)
#   make bench  - benchmarks (benchmarks/README.md)
#   make notebooks - execute notebooks/*.ipynb and write their outputs in place (then commit)

UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export MPLBACKEND := Agg

.PHONY: setup demo test lint bench bench-peers data notebooks clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

setup: .venv/.synced

demo: setup
	.venv/bin/relief check --area hengshui --scenario scenarios/library/hengshui-example.yaml --out out/demo

lint: setup
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy

test: lint
	.venv/bin/pytest

bench: setup
	.venv/bin/python benchmarks/run.py all

# The siting benchmarks compare with PySAL spopt: install the 'bench' dependency group first.
bench-peers: setup
	$(UV) sync --frozen --group bench
	.venv/bin/python benchmarks/run.py pmedian ../shared/bench/pmedian
	.venv/bin/python benchmarks/run.py mclp ../shared/bench/mclp
	.venv/bin/python benchmarks/run.py setcover ../shared/bench/setcover

data: setup
	.venv/bin/python -m geodata.bundled

# Notebooks are committed with their outputs; this runs them all (minutes) and rewrites them.
notebooks: setup
	.venv/bin/python -m tests.run_notebooks

clean:
	rm -rf .venv .tools out .pytest_cache .mypy_cache .ruff_cache .hypothesis
