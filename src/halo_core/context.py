"""The run context: what a component is handed to report progress, log and find its folders."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checkpoints import Checkpoint

ProgressCallback = Callable[[str, float, float | None], None]
"""Called as (stage, done, total) in media seconds; total None when unknown."""


def _no_progress(stage: str, done: float, total: float | None) -> None:
    return None


@dataclass
class RunContext:
    """Handed to every component call. Components report through it and never `print`.

    `work_dir` is the stage's own folder inside the run (keyframes and other files a stage
    writes go there); `cancelled` is set when the run is interrupted, and long loops should
    check it between units of work. `checkpoint()` keeps finished parts of a long stage
    (`checkpoints.py`) when the context belongs to a stage of a run (`resumable`).
    """

    stage: str = "adhoc"
    work_dir: Path = field(default_factory=lambda: Path(".halo/work"))
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("halo"))
    on_progress: ProgressCallback = _no_progress
    cancelled: threading.Event = field(default_factory=threading.Event)
    resumable: bool = False
    """a run's stage, whose work folder is its own (per artifact key): parts may be kept there"""

    def checkpoint(self) -> Checkpoint | None:
        """Where to keep finished parts of this stage, or None outside a run's stage."""
        from .checkpoints import Checkpoint  # imports artifacts, which imports this module

        return Checkpoint(self.work_dir / "checkpoint") if self.resumable else None

    def progress(self, done: float, total: float | None = None) -> None:
        """Report `done` media seconds processed out of `total`."""
        self.on_progress(self.stage, done, total)

    def for_stage(self, stage: str, work_dir: Path) -> RunContext:
        return RunContext(
            stage=stage,
            work_dir=work_dir,
            log=self.log.getChild(stage),
            on_progress=self.on_progress,
            cancelled=self.cancelled,
            resumable=True,
        )
