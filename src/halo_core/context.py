"""The run context: what a component is handed to report progress, log and find its folders."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ProgressCallback = Callable[[str, float, float | None], None]
"""Called as (stage, done, total) in media seconds; total None when unknown."""


def _no_progress(stage: str, done: float, total: float | None) -> None:
    return None


@dataclass
class RunContext:
    """Handed to every component call. Components report through it and never `print`.

    `work_dir` is the stage's own folder inside the run (keyframes and other files a stage
    writes go there); `cancelled` is set when the run is interrupted, and long loops should
    check it between units of work.
    """

    stage: str = "adhoc"
    work_dir: Path = field(default_factory=lambda: Path(".halo/work"))
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("halo"))
    on_progress: ProgressCallback = _no_progress
    cancelled: threading.Event = field(default_factory=threading.Event)

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
        )
