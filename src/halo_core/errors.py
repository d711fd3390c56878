"""Errors a user can act on: each says what is wrong, where, and the exact fix.

The CLI prints a `HaloError` as one message and exits with its `exit_code` (2 for bad input);
anything else is a bug and shows a traceback only with HALO_DEBUG=1.
"""

from __future__ import annotations


class HaloError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head}\n  fix: {self.fix}" if self.fix else head


class SpecError(HaloError):
    """Something wrong with a pipeline spec; `problems` holds every one found, not the first."""

    def __init__(self, problems: list[str], *, path: str | None = None) -> None:
        self.problems = problems
        plural = "s" if len(problems) != 1 else ""
        super().__init__(
            f"{len(problems)} problem{plural} in the pipeline spec:\n  " + "\n  ".join(problems),
            where=path,
        )


class MediaError(HaloError):
    """An input file that is missing, unreadable, empty, or lacks what a stage needs."""


class ComponentUnavailable(HaloError):
    """A component cannot run here (a missing optional dependency, model or secret)."""


class StageFailed(HaloError):
    """A stage raised: names the stage, the component, its distribution and the input."""

    exit_code = 1


class BudgetExceeded(HaloError):
    """The next LLM call would take the run past its cost budget; finished work is kept."""

    exit_code = 3


class TransientLLMError(Exception):
    """A failure worth retrying (rate limit, server error, timeout)."""
