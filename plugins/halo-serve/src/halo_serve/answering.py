"""Questions, answered on one thread that owns every open run.

An open run holds models and its cache connection (sqlite connections belong to the thread that
made them), so one worker thread opens, asks and closes them all; requests wait for it without
blocking the server. The most recently used runs stay open (a bounded number); a run whose chunks
were rewritten by a new `halo run` is opened again. The worker is a daemon thread: Ctrl-C never
waits for a model that is still loading.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any

from .loader import Asker, Stamp, run_stamp

log = logging.getLogger("halo.serve")

OPEN_RUNS = 4
"""Runs kept open at once (each holds its embedder and index)."""
CLOSE_WAIT_S = 10.0
"""How long shutting down waits for the worker to close the open runs (flushing their cache
statistics) when it is busy, before leaving it to die with the process."""

Job = tuple[Callable[[], Any], "Future[Any]"]


class Answering:
    def __init__(self, capacity: int = OPEN_RUNS) -> None:
        self.capacity = capacity
        self._open: OrderedDict[Path, tuple[Stamp, Asker]] = OrderedDict()
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._warming: list[Future[Any]] = []
        threading.Thread(target=self._work, name="halo-qa", daemon=True).start()

    async def ask(self, folder: Path, question: str, session: str | None) -> dict[str, Any]:
        """The `halo ask --json` object; HaloError as the core raises it."""
        return await asyncio.wrap_future(self._submit(self._ask, folder, question, session))

    def warm(self, folders: list[Path]) -> None:
        """Open these runs in the background, so the first question does not wait for models."""
        self._warming = [self._submit(self._warm, folder) for folder in folders[: self.capacity]]

    def close(self) -> None:
        for pending in self._warming:
            pending.cancel()  # only those not started yet
        closed = self._submit(self._close_all)
        self._jobs.put(None)
        try:
            closed.result(timeout=CLOSE_WAIT_S)
        except TimeoutError:
            log.info("the question worker is still busy; leaving it to stop with the process")

    def _submit(self, call: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((partial(call, *args), future))
        return future

    # -- on the worker thread --

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # handed to whoever waits for the answer
                future.set_exception(exc)

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
