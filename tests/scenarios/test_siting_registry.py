"""The siting registry: one entry per model; an unknown name is an error, never a fallback."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from geodata.area import load_area
from scenarios.siting import SitingRequest, run_siting, siting_models
from scenarios.siting_registry import SitingModel, get_model, register, unregister
from service.cli import app
from solver.errors import DataError
from solver.mip import Backend
from solver.siting import mclp


def _nearest_only(job):
    """A toy model: open the p new candidates nearest to the first point."""
    prob = job.input.problem
    new = prob.new
    order = new[prob.hours[new, 0].argsort()][: job.request.p]
    mask = prob.existing.copy()
    mask[order] = True
    s = mclp(prob, job.cutoff_h, 0)  # coverage of the existing sites, for the fields
    from dataclasses import replace

    return replace(
        s,
        model="toy",
        opened=tuple(int(j) for j in order),
        open_mask=mask,
        coverage_after=prob.share(prob.covered(mask, job.cutoff_h)),
    )


@pytest.fixture
def toy():
    model = register(
        SitingModel("toy-nearest", "玩具模型", "toy nearest", _nearest_only, Backend.HIGHS, True)
    )
    yield model
    unregister("toy-nearest")


@pytest.fixture
def cands(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame(
        {"id": ["A", "B", "C"], "lon": [115.61, 115.63, 115.60], "lat": [37.71, 37.73, 37.72]}
    ).to_csv(path, index=False)
    return path


def test_builtin_models_are_registered_once():
    """The seven built-in models are in the registry with labels and a back end."""
    names = siting_models()
    assert set(names) >= {"mclp", "lscp", "pmedian", "pcenter", "capacitated", "tiered", "robust"}
    for n in names:
        m = get_model(n)
        assert m.label_zh and m.label_en and isinstance(m.backend, Backend)
    with pytest.raises(ValueError, match="already registered"):
        register(get_model("mclp"))


def test_unknown_model_is_an_error_never_a_fallback():
    """A misspelt model names the field and the known models (no silent robust run)."""
    with pytest.raises(DataError, match="unknown model 'robsut'") as info:
        SitingRequest(model="robsut")
    assert info.value.field == "model" and "robust" in str(info.value)
    assert info.value.problem_zh and "未知选址模型" in info.value.problem_zh


def test_a_registered_toy_model_runs_through_scenarios_and_the_cli(toy, tiny_gpkg, cands, tmp_path):
    """A model registered at run time is dispatched by run_siting and offered by the CLI."""
    area = load_area(tiny_gpkg)
    rep = run_siting(area, SitingRequest(model="toy-nearest", p=2, travel_h=0.2, candidates=cands))
    assert rep.siting.model == "toy" and len(rep.siting.opened) == 2
    assert rep.to_json()["p"] == 2
    result = CliRunner().invoke(
        app,
        [
            "site",
            "--area",
            str(tiny_gpkg),
            "--model",
            "toy-nearest",
            "--p",
            "1",
            "--travel-hours",
            "0.2",
            "--candidates",
            str(cands),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "toy nearest" in result.output


def test_p_zero_without_existing_depots_is_an_error(tiny_gpkg, cands):
    """p = 0 with no existing depot has nothing to site or measure: an error naming p."""
    area = load_area(tiny_gpkg)
    with pytest.raises(DataError, match="p = 0") as info:
        run_siting(
            area, SitingRequest(model="mclp", p=0, travel_h=0.2, candidates=cands, sources=())
        )
    assert info.value.field == "p"
