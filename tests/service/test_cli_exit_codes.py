"""The CLI's exit codes, as service.cli_common.friendly documents them: 2 bad input,
3 no solution under the hard constraints, 4 no solver could answer; each with a message."""

from __future__ import annotations

import pytest
import typer

from service.cli_common import friendly
from solver.errors import DataError, InfeasibleError, SolverError


@pytest.mark.parametrize(
    ("exc", "code", "said"),
    [
        (DataError("stock < 0", field="stock", problem_zh="库存为负"), 2, "库存为负"),
        (OSError(13, "Permission denied", "out.json"), 2, "Permission denied"),
        (InfeasibleError("demand 5 > capacity 3"), 3, "demand 5 > capacity 3"),
        (SolverError("HiGHS: numerical trouble", problem_zh="数值问题"), 4, "数值问题"),
        (SolverError("CBC crashed"), 4, "求解器未能给出结果"),
    ],
)
def test_each_error_exits_with_its_code_and_a_message(capsys, exc, code, said):
    """A command that meets the error ends with its documented code, no traceback."""

    @friendly
    def command() -> None:
        raise exc

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
