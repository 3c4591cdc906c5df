"""The error classes raised by the core and mapped to CLI exit codes and HTTP responses."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data, named by source, record and field.

    Parameters
    ----------
    problem
        What is wrong, in English.
    source
        File or layer the record came from.
    record
        Identifier (or row number) of the offending record.
    field
        The offending field.
    problem_zh
        What is wrong, in Chinese, when a translation exists.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        record: str | None = None,
        field: str | None = None,
        problem_zh: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.record = record
        self.field = field
        self.problem_zh = problem_zh
        super().__init__(self._render(problem))

    def _render(self, problem: str) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.record is not None:
            where.append(f"record '{self.record}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{': '.join(where)}: {problem}" if where else problem

    @property
    def message_zh(self) -> str | None:
        """The message in Chinese, or None when no translation was given."""
        if self.problem_zh is None:
            return None
        where = []
        if self.source:
            where.append(str(self.source))
        if self.record is not None:
            where.append(f"记录 '{self.record}'")
        if self.field:
            where.append(f"字段 '{self.field}'")
        return f"{': '.join(where)}: {self.problem_zh}" if where else self.problem_zh

    def located(self, *, source: str | None = None, record: str | None = None) -> DataError:
        """Return a copy that also names the source and/or record, keeping what is known."""
        return DataError(
            self.problem,
            source=self.source or source,
            record=self.record if self.record is not None else record,
            field=self.field,
            problem_zh=self.problem_zh,
        )


class InfeasibleError(RuntimeError):
    """A model has no solution under its hard constraints; the message says why."""


class SolverError(RuntimeError):
    """No solver could answer (numerical trouble or a crash), which is not infeasibility."""

    def __init__(self, problem: str, *, problem_zh: str | None = None) -> None:
        self.problem = problem
        self.problem_zh = problem_zh
        super().__init__(problem)
