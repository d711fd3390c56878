"""Questions, answered on one thread that owns every open run.

An open run holds models and its cache connection (sqlite connections belong to the thread that
made them), so one worker thread opens, asks and closes them all; requests wait for it without
blocking the server. The most recently used runs stay open (a bounded number); a run whose chunks
were rewritten by a new `halo run` is opened again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .loader import Asker, Stamp, run_stamp

log = logging.getLogger("halo.serve")

OPEN_RUNS = 4
"""Runs kept open at once (each holds its embedder and index)."""


class Answering:
    def __init__(self, capacity: int = OPEN_RUNS) -> None:
        self.capacity = capacity
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="halo-qa")
        self._open: OrderedDict[Path, tuple[Stamp, Asker]] = OrderedDict()

    async def ask(self, folder: Path, question: str, session: str | None) -> dict[str, Any]:
        """The `halo ask --json` object; HaloError as the core raises it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._ask, folder, question, session)

    def warm(self, folders: list[Path]) -> None:
        """Open these runs in the background, so the first question does not wait for models."""
        for folder in folders[: self.capacity]:
            self._thread.submit(self._warm, folder)

    def close(self) -> None:
        self._thread.submit(self._close_all)
        self._thread.shutdown(wait=True)

    # -- on the worker thread --

    def _ask(self, folder: Path, question: str, session: str | None) -> dict[str, Any]:
        return self._asker(folder).ask(question, session)

    def _warm(self, folder: Path) -> None:
        try:
            self._asker(folder)
        except Exception as exc:  # the first question reports it properly
            log.info("could not open %s ahead of questions: %s", folder, exc)

    def _asker(self, folder: Path) -> Asker:
        key = folder.resolve()
        stamp = run_stamp(folder)
        held = self._open.pop(key, None)
        if held is not None and held[0] == stamp:
            self._open[key] = held
            return held[1]
        if held is not None:
            held[1].close()
        asker = Asker(folder)
        self._open[key] = (stamp, asker)
        while len(self._open) > self.capacity:
            _, (_, oldest) = self._open.popitem(last=False)
            oldest.close()
        return asker

    def _close_all(self) -> None:
        while self._open:
            _, (_, asker) = self._open.popitem(last=False)
            try:
                asker.close()
            except Exception as exc:  # closing the rest matters more
                log.warning("closing a run failed: %s", exc)
