"""What Gemini would cost HALO, next to the naive approaches, from the fake server's accounting.

For the sample lecture (148.8 s) and a generated 60-minute lecture (benchmarks/media/, made by
make_lecture.py when missing), it runs the real `gemini` backend against the fake Gemini server
(halo_gemini.fake_server, which counts tokens by each family's published rates: 258 tokens per
frame at 1 fps on 2.5, 66 at low resolution; 70 on the 3.x family; 32 per second of audio; ~4
characters per text token), once per model (`--models`, default the two current defaults,
gemini-3.8-flash and gemini-3.5-flash-lite, each used for every level), prices as of --date
(default 2026-11-29), and prints requests, tokens and cost, split into the summary and the
questions, with the estimate made beforehand (halo_core.estimate: counted prompts, expected
replies, no generation call) beside the actual:

  halo/transcript    hierarchical summary (chunks -> sections of 5 -> video)
                     + each question answered from the 3 chunks that best match it (text)
  halo/video-default the same with each chunk's video clip (video_metadata offsets)
  halo/video-low     the same at low media resolution
  halo/map-batch     transcript chunk summaries through the Batch API (the map phase alone)
  naive/transcript   the whole transcript for the summary and with every question
  naive/video-*      the whole video for the summary and with every question
  naive/video-low+cache   the same at low resolution, with explicit context caching

Chunks are cut from the subtitle cues (60-120 s, at pauses), as a stand-in for HALO's chunker, so
the figures depend only on this plugin. Questions: the spec's (pipelines/lecture.yaml) plus the
ground-truth questions in each lecture's truth.json. Output tokens come from the fake's replies
(short deterministic text plus 64 thinking tokens per call), so output figures are indicative; input
tokens and request counts are exact for these requests.

    .venv/bin/python benchmarks/bench_gemini.py [--skip-60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from halo_gemini import GeminiBackend, GeminiConfig
from halo_gemini.fake_server import FakeGemini
from lectures import long_lecture

from halo_core import HaloError, LLMBackend, LLMRequest, LLMResponse, Media, MediaClip
from halo_core.estimate import Estimator
from halo_core.media import probe

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "lecture"
KEY = "bench-key"
RETRIEVED_CHUNKS = 3
SECTION_SIZE = 5
NO_ESCALATION = 10**9


@dataclass
class Chunk:
    start: float
    end: float
    text: str


def parse_srt(path: Path) -> list[Chunk]:
    cues = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        lines = block.strip().splitlines()
        times = next((line for line in lines if "-->" in line), None)
        if times is None:
            continue
        start, end = (_srt_seconds(t) for t in times.split("-->"))
        text = " ".join(lines[lines.index(times) + 1 :]).strip()
        cues.append(Chunk(start, end, text))
    return cues


def _srt_seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.strip().replace(",", ".").split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def make_chunks(cues: list[Chunk], duration: float) -> list[Chunk]:
    """Cues grouped into 60-120 s chunks, cut at a pause once past 60 s; tiling [0, end]."""
    chunks: list[Chunk] = []
    current: list[Chunk] = []
    start = 0.0
    for index, cue in enumerate(cues):
        current.append(cue)
        following = cues[index + 1] if index + 1 < len(cues) else None
        length = cue.end - start
        pause = (following.start - cue.end) if following else 0.0
        if following and (length >= 120 or (length >= 60 and pause >= 0.4)):
            cut = (cue.end + following.start) / 2
            chunks.append(Chunk(start, cut, " ".join(c.text for c in current)))
            current, start = [], cut
    chunks.append(Chunk(start, duration, " ".join(c.text for c in current)))
    return chunks


def retrieve(chunks: list[Chunk], question: str, k: int) -> list[Chunk]:
    """The k chunks sharing most words with the question (a stand-in for HALO's retrieval)."""
    words = set(re.findall(r"[a-z]{4,}", question.lower()))
    scored = sorted(
        chunks, key=lambda c: -len(words & set(re.findall(r"[a-z]{4,}", c.text.lower())))
    )
    return sorted(scored[:k], key=lambda c: c.start)


def questions_for(folder: Path) -> list[str]:
    spec = yaml.safe_load((ROOT / "pipelines" / "lecture.yaml").read_text())
    truth = json.loads((folder / "truth.json").read_text())
    return list(spec["tasks"]["ask"]) + [q["question"] for q in truth["questions"]]


@dataclass
class Row:
    media: str
    model: str
    scenario: str
    generate: int = 0
    count: int = 0
    other: int = 0
    prompt: int = 0
    cached: int = 0
    output: int = 0
    cost: float = 0.0
    summary: float = 0.0
    per_question: float = 0.0
    estimate: float = 0.0
    wall_s: float = 0.0
    note: str = ""


def run_plan(
    backend: LLMBackend[Any], plan: str, media: Media, chunks: list[Chunk], questions: list[str]
) -> tuple[list[LLMResponse], list[LLMResponse]]:
    """(summary responses, answers) of one approach."""
    whole = MediaClip(path=media.path, sha256=media.sha256, start=0.0, end=media.duration)
    transcript = " ".join(c.text for c in chunks)
    if plan in ("halo", "map"):
        responses = summarize(backend, media, chunks, with_levels=plan == "halo")
        if plan == "map":
            return responses, []
        answers = []
        for question in questions:
            picked = retrieve(chunks, question, RETRIEVED_CHUNKS)
            answers.append(
                backend.generate(
                    LLMRequest(
                        task="answer",
                        prompt=question,
                        context="\n\n".join(c.text for c in picked),
                        clips=[_clip(media, c) for c in picked],
                    )
                )
            )
        return responses, answers
    naive: dict[str, Any] = (
        {"context": transcript} if plan == "naive-transcript" else {"clips": [whole]}
    )
    summary = backend.generate(
        LLMRequest(task="summarize", prompt="Summarize the whole video.", **naive)
    )
    answers = [backend.generate(LLMRequest(task="answer", prompt=q, **naive)) for q in questions]
    return [summary], answers


def run_scenario(
    label: str,
    model: str,
    scenario: str,
    media: Media,
    chunks: list[Chunk],
    questions: list[str],
    options: dict[str, Any],
    plan: str,
    day: date,
) -> Row:
    with (
        FakeGemini(api_key=KEY, processing_polls=0, batch_polls=0) as fake,
        tempfile.TemporaryDirectory() as state,
    ):
        backend = GeminiBackend(
            GeminiConfig.model_validate(
                {
                    "base_url": fake.base_url,
                    "api_key": KEY,
                    "state_path": f"{state}/files.json",
                    "batch_poll_s": 0.01,
                    "upload_poll_s": 0.01,
                    "max_attempts": 1,
                    "model": model,
                    "escalation_model": model,
                    **options,
                }
            )
        )
        backend.today = lambda: day
        started = time.monotonic()
        responses: list[LLMResponse] = []
        answers: list[LLMResponse] = []
        note = ""
        estimate = 0.0
        try:
            if not backend.config.batch and not backend.config.context_cache:
                estimator = Estimator(backend)
                run_plan(estimator, plan, media, chunks, questions)
                assert not fake.calls("generateContent"), "an estimate makes no generation call"
                estimate = estimator.totals.cost_usd()
            responses, answers = run_plan(backend, plan, media, chunks, questions)
        except HaloError as error:
            note = "refused: " + error.what.split("(")[-1].rstrip(")")[:70]
        totals = fake.totals()
        requests = totals["requests"]
        return Row(
            media=label,
            model=model,
            scenario=scenario,
            generate=requests.get("generateContent", 0) + sum(1 for e in fake.ledger if e.batch),
            count=requests.get("countTokens", 0),
            other=sum(
                n for k, n in requests.items() if k not in ("generateContent", "countTokens")
            ),
            prompt=totals["prompt_tokens"] + totals["cache_created_tokens"],
            cached=totals["cached_tokens"],
            output=totals["candidates_tokens"] + totals["thoughts_tokens"],
            cost=sum(r.cost_usd for r in responses + answers),
            summary=sum(r.cost_usd for r in responses),
            per_question=sum(a.cost_usd for a in answers) / len(questions) if answers else 0.0,
            estimate=estimate,
            wall_s=time.monotonic() - started,
            note=note,
        )


def _clip(media: Media, chunk: Chunk) -> MediaClip:
    return MediaClip(path=media.path, sha256=media.sha256, start=chunk.start, end=chunk.end)


def summarize(
    backend: GeminiBackend, media: Media, chunks: list[Chunk], *, with_levels: bool
) -> list[LLMResponse]:
    """The core's hierarchy: chunk summaries (map phase, through generate_many), sections, video."""
    chunk_requests = [
        LLMRequest(
            task="summarize",
            prompt="Summarize this part of the video.",
            context=c.text,
            clips=[_clip(media, c)],
            options={"level": "chunk"},
        )
        for c in chunks
    ]
    chunk_answers = backend.generate_many(chunk_requests)
    if not with_levels:
        return chunk_answers
    sections = []
    for first in range(0, len(chunks), SECTION_SIZE):
        digest = "\n\n".join(a.text for a in chunk_answers[first : first + SECTION_SIZE])
        sections.append(
            backend.generate(
                LLMRequest(
                    task="summarize",
                    prompt="Summarize this section from the summaries of its parts.",
                    context=digest,
                    options={"level": "section"},
                )
            )
        )
    video = backend.generate(
        LLMRequest(
            task="summarize",
            prompt="Summarize the whole video from its sections.",
            context="\n\n".join(s.text for s in sections),
            options={"level": "video"},
        )
    )
    return [*chunk_answers, *sections, video]


SCENARIOS: list[tuple[str, dict[str, Any], str]] = [
    ("halo/transcript", {"mode": "transcript", "context_cache": False}, "halo"),
    ("halo/video-default", {"mode": "video", "context_cache": False}, "halo"),
    (
        "halo/video-low",
        {"mode": "video", "media_resolution": "low", "context_cache": False},
        "halo",
    ),
    ("halo/map-interactive", {"mode": "transcript", "context_cache": False}, "map"),
    ("halo/map-batch", {"mode": "transcript", "batch": True, "context_cache": False}, "map"),
    (
        "naive/transcript",
        {"mode": "transcript", "escalate_above_tokens": NO_ESCALATION, "context_cache": False},
        "naive-transcript",
    ),
    (
        "naive/video-default",
        {"mode": "video", "escalate_above_tokens": NO_ESCALATION, "context_cache": False},
        "naive-video",
    ),
    (
        "naive/video-low",
        {
            "mode": "video",
            "media_resolution": "low",
            "escalate_above_tokens": NO_ESCALATION,
            "context_cache": False,
        },
        "naive-video",
    ),
    (
        "naive/video-low+cache",
        {
            "mode": "video",
            "media_resolution": "low",
            "escalate_above_tokens": NO_ESCALATION,
            "context_cache": True,
        },
        "naive-video",
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description="Gemini cost: HALO vs naive, on the fake server")
    parser.add_argument("--skip-60", action="store_true", help="only the 148.8 s sample lecture")
    parser.add_argument("--models", default="gemini-3.8-flash,gemini-3.5-flash-lite")
    parser.add_argument("--date", default="2026-11-29", help="the day whose prices apply")
    args = parser.parse_args()
    os.environ.pop("GEMINI_API_KEY", None)
    day = date.fromisoformat(args.date)
    folders = [("sample 2.5 min", SAMPLE)]
    if not args.skip_60:
        folders.append(("60-min", long_lecture(60)))
    rows: list[Row] = []
    for label, folder in folders:
        media = probe(folder / "lecture.mp4")
        chunks = make_chunks(parse_srt(folder / "lecture.srt"), media.duration)
        questions = questions_for(folder)
        print(
            f"\n{label}: {media.duration:.1f} s, {len(chunks)} chunks, {len(questions)} questions, "
            f"prices of {day}",
            flush=True,
        )
        for model in args.models.split(","):
            for scenario, options, plan in SCENARIOS:
                row = run_scenario(
                    label, model, scenario, media, chunks, questions, options, plan, day
                )
                rows.append(row)
                print(_format(row), flush=True)
    print("\nratios, naive / HALO (total cost; HALO's includes its whole hierarchical summary):")
    for label, _ in folders:
        for model in args.models.split(","):
            by = {r.scenario: r for r in rows if r.media == label and r.model == model}
            for naive, halo in (
                ("naive/video-default", "halo/video-default"),
                ("naive/video-low", "halo/video-low"),
                ("naive/video-low+cache", "halo/video-low"),
                ("naive/transcript", "halo/transcript"),
                ("naive/video-default", "halo/transcript"),
            ):
                if by[naive].cost and by[halo].cost and not by[naive].note:
                    print(
                        f"  {label:15s} {model:22s} {naive:22s} / {halo:18s} = "
                        f"{by[naive].cost / by[halo].cost:7.2f}x total, "
                        f"{by[naive].per_question / by[halo].per_question:7.2f}x per question"
                    )
            batch, interactive = by["halo/map-batch"], by["halo/map-interactive"]
            print(
                f"  {label:15s} {model:22s} map phase batch / interactive cost = "
                f"{batch.cost / interactive.cost:.2f}"
            )


HEADER = (
    f"{'media':15s} {'model':22s} {'scenario':22s} {'gen':>4s} {'count':>5s} {'input tok':>10s} "
    f"{'cached':>9s} {'output':>7s} {'summary $':>9s} {'$/quest.':>8s} {'total $':>8s} "
    f"{'estim. $':>8s} {'est/act':>7s} {'wall s':>6s}"
)


def _format(row: Row) -> str:
    if not hasattr(_format, "printed"):
        print(HEADER)
        _format.printed = True  # type: ignore[attr-defined]
    ratio = f"{row.estimate / row.cost:7.3f}" if row.estimate and row.cost else f"{'-':>7s}"
    return (
        f"{row.media:15s} {row.model:22s} {row.scenario:22s} {row.generate:4d} {row.count:5d} "
        f"{row.prompt:10d} {row.cached:9d} {row.output:7d} {row.summary:9.4f} "
        f"{row.per_question:8.5f} {row.cost:8.4f} {row.estimate:8.4f} {ratio} "
        f"{row.wall_s:6.1f}" + (f"  {row.note}" if row.note else "")
    )


if __name__ == "__main__":
    main()
