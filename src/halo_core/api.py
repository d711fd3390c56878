"""The Python API for notebooks and scripts: `run` a spec, `open_run` a run folder and `ask`.

    import halo_core
    [result] = halo_core.run("pipelines/subtitles.yaml", inputs=["samples/lecture/lecture.mp4"],
                             out="runs")
    print(result.data.chunks[0].text)
    with halo_core.open_run(result.run_dir) as run:
        print(run.ask("Which enzyme unwinds the DNA double helix?").answer)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import yaml

from .errors import HaloError
from .job import RunResult
from .model import Answer
from .progress import Progress
from .qa import QA, Session, ask_in_session, open_qa
from .run_data import RunData

if TYPE_CHECKING:
    from .cost_plan import CostPlan


@overload
def run(
    spec: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    ask: Sequence[str] = (),
    force: bool = False,
    progress: bool = False,
    estimate: Literal[False] = False,
) -> list[RunResult]: ...


@overload
def run(
    spec: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    ask: Sequence[str] = (),
    force: bool = False,
    progress: bool = False,
    estimate: Literal[True],
) -> CostPlan: ...


def run(
    spec: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    ask: Sequence[str] = (),
    force: bool = False,
    progress: bool = False,
    estimate: bool = False,
) -> list[RunResult] | CostPlan:
    """Run the spec file (as `halo run` does) and return one `RunResult` per input: its folder,
    report, and results as objects (`result.data`: timeline, chunks, summaries, answers, notes).

    `inputs` replace the spec's; `overrides` are `--set`s, e.g. `{"chunker.with.max_duration":
    90}`; `ask` are questions besides the spec's (`halo run --ask`; each input's sidecar
    `<media stem>.questions.yaml` adds its own). A spec problem raises `SpecError`; an input
    that fails has `result.error` set.

    `estimate=True` runs nothing on the LLM: it prints the cost plan (`halo run --estimate`)
    and returns it (`CostPlan`: per input the planned calls and the naive ones, in total).
    """
    from .runner import run as run_spec
    from .spec import load_spec

    sets = [f"{path}={yaml.safe_dump(value, default_flow_style=True).strip()}"
            .removesuffix("\n...") for path, value in (overrides or {}).items()]
    loaded = load_spec(spec, overrides=sets, inputs=[str(p) for p in inputs], out=out, ask=ask)
    shown = Progress() if progress else Progress.silent()
    if estimate:
        from .cost_plan import plan_run

        plan = plan_run(loaded, shown)
        print(loaded.redact(plan.render()))
        return plan
    return run_spec(loaded, force=force, progress=shown)


def answer_record(answer: Answer, session: str | None = None,
                  embedded_texts: int | None = None) -> dict[str, Any]:
    """The `halo ask --json` object: the answer, its session, and (for a run folder) how many
    texts were embedded to answer it (0: answered before the embedder was needed)."""
    data: dict[str, Any] = answer.model_dump(mode="json")
    data["session"] = session
    if embedded_texts is not None:
        data["embedded_texts"] = embedded_texts
    return data


class OpenRun:
    """A finished run, opened for questions. Close it (or use `with`) to release its cache."""

    def __init__(self, qa: QA) -> None:
        self._qa = qa

    @property
    def data(self) -> RunData:
        return self._qa.run

    @property
    def embedded_texts(self) -> int:
        """Texts embedded so far (questions, passages): 0 while only the cache answered."""
        return self._qa.embedded_texts

    def ask(self, question: str, session: str | Session | None = None) -> Answer:
        """The answer, with citations. With a session name, the question continues that
        conversation (kept in `<run>/sessions/<name>.json`, as `halo ask --session`)."""
        if isinstance(session, str):
            return ask_in_session(self._qa, question, session)
        return self._qa.ask(question, session)

    def close(self) -> None:
        self._qa.close()

    def __enter__(self) -> OpenRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def open_run(folder: str | Path, *, budget: int | None = None) -> OpenRun:
    """The run in `folder` (written by `halo run` or `run`), ready for `ask`."""
    if budget is not None and budget < 16:
        raise HaloError(f"budget {budget} is too small", fix="use at least 16 tokens")
    return OpenRun(open_qa(Path(folder)) if budget is None else open_qa(Path(folder), budget))
