"""Progress of a run's stages in media time, on stderr.

On a terminal, one line redrawn in place (`\\r`) holding a bar per running stage with an ETA from
media seconds done per wall second; otherwise plain lines at most every `interval` seconds per
stage ("[transcript] 35% of 148.8 s, ETA 12 s"); quiet prints nothing. Stdlib only.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from .times import clock

BAR_WIDTH = 20


@dataclass
class _StageState:
    started: float
    total: float | None
    done: float = 0.0
    last_line: float = field(default=0.0)


def format_seconds(seconds: float) -> str:
    """A duration for the progress line: "42 s" under a minute, else a clock ("04:49")."""
    return f"{seconds:.0f} s" if seconds < 60 else clock(round(seconds))


class Progress:
    """Receives `(stage, done, total)` reports (media seconds) from stages and shows them."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        tty: bool | None = None,
        interval: float = 3.0,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self._stages: dict[str, _StageState] = {}
        self._lock = threading.Lock()
        self._drawn = False

    @classmethod
    def silent(cls) -> Progress:
        return cls(quiet=True)

    def start(self, stage: str, total: float | None) -> None:
        with self._lock:
            self._stages[stage] = _StageState(started=time.monotonic(), total=total)
            if self.tty and not self.quiet:
                self._redraw()  # shown at once, even for a stage that never reports progress

    def update(self, stage: str, done: float, total: float | None = None) -> None:
        """The RunContext progress callback: `done` of `total` media seconds."""
        with self._lock:
            state = self._stages.setdefault(stage, _StageState(time.monotonic(), total))
            state.done = done
            if total is not None:
                state.total = total
            if self.quiet:
                return
            now = time.monotonic()
            if self.tty:
                self._redraw()
            elif now - state.last_line >= self.interval:
                state.last_line = now
                self._write(f"[{stage}] {self._describe(state, now)}\n")

    def finish(self, stage: str, *, reused: bool, detail: str = "") -> None:
        with self._lock:
            state = self._stages.pop(stage, None)
            if self.quiet:
                return
            took = time.monotonic() - state.started if state else 0.0
            how = "reused" if reused else f"done in {took:.1f} s"
            line = f"[{stage}] {how}{f' ({detail})' if detail else ''}"
            if self.tty:
                self._clear()
                self._write(line + "\n")
                self._redraw()
            else:
                self._write(line + "\n")

    def message(self, text: str) -> None:
        with self._lock:
            if self.quiet:
                return
            if self.tty:
                self._clear()
            self._write(text + "\n")
            if self.tty:
                self._redraw()

    def _describe(self, state: _StageState, now: float) -> str:
        if not state.total:
            return f"{state.done:.1f} s done"
        fraction = min(max(state.done / state.total, 0.0), 1.0)
        text = f"{fraction:.0%} of {state.total:.1f} s"
        elapsed = now - state.started
        if state.done > 0 and elapsed > 0:
            remaining = (state.total - state.done) * elapsed / state.done
            text += f", ETA {format_seconds(max(remaining, 0.0))}"
        return text

    def _bar(self, stage: str, state: _StageState, now: float) -> str:
        if not state.total:
            return f"{stage} {state.done:.0f} s"
        filled = int(BAR_WIDTH * min(state.done / state.total, 1.0))
        return f"{stage} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self._describe(state, now)}"

    def _redraw(self) -> None:
        now = time.monotonic()
        line = " | ".join(self._bar(name, s, now) for name, s in self._stages.items())
        width = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
        line = line if len(line) <= width else line[: width - 1] + "…"
        self._write(f"\r{line}\x1b[K")
        self._drawn = bool(line)

    def _clear(self) -> None:
        if self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
