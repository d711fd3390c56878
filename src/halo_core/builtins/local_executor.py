"""Executor `local`: every stage in this process, one input after the other; stages that do not
read each other (independent extractors; index and summarize) run concurrently, up to the
spec's `max_workers`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..components import ComponentConfig, Executor
from ..hookspecs import Register, hookimpl
from ..job import Job
from ..stages import Stage


class LocalExecutor(Executor[ComponentConfig]):
    name = "local"
    description = "every stage in this process; independent stages concurrently"

    def run(self, jobs: Sequence[Job]) -> Iterator[Job]:
        for job in jobs:
            if job.start():
                run_stages(job)
            yield job


def run_stages(job: Job) -> None:
    """Every stage of `job`, each once its inputs are done; after a failure no new stage starts
    and the running ones are let finish, so their work is kept."""
    done: set[str] = set()
    started: set[str] = set()
    running: dict[Future[None], Stage] = {}
    with ThreadPoolExecutor(max_workers=job.pipeline.spec.max_workers,
                            thread_name_prefix="halo-stage") as pool:
        try:
            while True:
                if job.error is None:
                    for stage in job.graph.ready(done, started):
                        started.add(stage.name)
                        running[pool.submit(job.run_stage, stage)] = stage
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    stage = running.pop(future)
                    error = future.exception()
                    if error is None:
                        done.add(stage.name)
                    else:
                        job.fail(stage, error)
        except BaseException:
            job.cancelled.set()  # long-running components check it and stop early
            pool.shutdown(wait=False, cancel_futures=True)
            raise


@hookimpl
def register_executors(register: Register) -> None:
    register(LocalExecutor)
