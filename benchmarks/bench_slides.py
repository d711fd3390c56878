"""halo-slides benchmark: slide word recall and precision, heading accuracy, and the `slides`
stage's cost next to speech recognition's, on generated lectures NOT used for tuning (subtle
style — a slide change inside a topic only swaps text — with the moving presenter inset).

    .venv/bin/python benchmarks/bench_slides.py [--seeds 7 8] [--minutes 4] [--topics 4] [--ask]

Per lecture, with the stages HALO runs (`scenedetect` then `slides`; `faster-whisper` with its
defaults for the cost comparison):
- recall: of the words on each slide (topic title, slide heading, bullets; truth.json), the share
  found in the SlideText shown at the slide's middle (multiset: a word twice must be read twice);
- precision: of the words read on content slides, the share that are on the slide (the footer,
  page number, field label and inset count against it); the title card is left out of precision
  as its truth lists only its title;
- heading: the share of slides whose `heading` is the topic title shown largest on them;
- cost: wall and CPU seconds of `slides` (plus `scenedetect`, which it needs) over those of
  `faster-whisper` on the same file, in this one process (CPU time is what to trust on a shared
  machine);
- WER of `faster-whisper` (bundled tiny.en, its defaults) against the truth sentences, bare and
  with `slide_prompts: true` (each slide's stretch prompted with the slide's text);
- with --ask (instead of the above): `halo ask` accuracy of the offline default pipeline
  (pipelines/lecture.yaml) with and without its `slides` extractor: the share of truth questions
  (and their paraphrases) whose answer contains the truth answer or an alias (case and
  punctuation ignored).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lectures import ROOT, generated_lecture


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def timed(extractor: Any, media: Any, timeline: Any) -> tuple[Any, float, float]:
    """The extractor's segments, and its wall and CPU seconds."""
    from halo_core import RunContext

    wall, cpu = time.perf_counter(), time.process_time()
    out = extractor.extract(media, timeline, RunContext())
    return out, time.perf_counter() - wall, time.process_time() - cpu


def lecture(seed: int, minutes: float, topics: int) -> Path:
    return generated_lecture(
        f"slides-heldout-s{seed}",
        "--seed", str(seed), "--minutes", str(minutes), "--topics", str(topics),
        "--cut-style", "subtle", "--presenter-inset",
    )  # fmt: skip


def score(slides: list[Any], truth: dict[str, Any]) -> dict[str, float]:
    titles = {t["id"]: t["title"] for t in truth["topics"]}
    found = wanted = read = right = headings = counted = 0
    for slide in truth["slides"]:
        middle = (slide["start"] + slide["end"]) / 2
        shown = next((s for s in slides if s.start <= middle < s.end), None)
        title = titles.get(slide["topic_id"], "")
        expected = Counter(words(" ".join([title, slide["heading"], *slide["bullets"]])))
        got = Counter(words(shown.text)) if shown else Counter()
        wanted += sum(expected.values())
        found += sum((expected & got).values())
        if slide["topic_id"] is None:  # the title card
            continue
        read += sum(got.values())
        right += sum((expected & got).values())
        counted += 1
        hit = bool(shown) and " ".join(words(shown.heading)) == " ".join(words(title))
        headings += hit
        if not hit:
            print(f"  heading {shown.heading if shown else None!r} for {title!r}", file=sys.stderr)
    return {
        "recall": found / max(1, wanted),
        "precision": right / max(1, read),
        "heading": headings / max(1, counted),
        "slides": len(truth["slides"]),
        "read": len(slides),
    }


def ask_accuracy(folder: Path, with_slides: bool) -> tuple[float, int]:
    """(accuracy, questions) of the default pipeline on the lecture in `folder`."""
    from halo_core.runner import run
    from halo_core.spec import load_spec

    truth = json.loads((folder / "truth.json").read_text())
    asked = [(q, p) for q in truth["questions"] for p in [q["question"], *q["paraphrases"]]]
    spec_text = (ROOT / "pipelines" / "lecture.yaml").read_text()
    if not with_slides:
        spec_text = re.sub(r"\n  - use: slides[^\n]*", "", spec_text)
    # one outputs folder (so one artifact store: the configurations share the extractors' work),
    # one spec name per configuration (so one run folder each)
    outputs = ROOT / "benchmarks" / "results" / "slides-ask"
    name = f"{folder.name}-{'with' if with_slides else 'without'}-slides"
    work = outputs / "specs" / name
    work.mkdir(parents=True, exist_ok=True)
    spec_text = re.sub(r"name: .*", f"name: {name}", spec_text, count=1)
    spec_text = re.sub(
        r"cache: .*", f"cache: {{use: sqlite, with: {{path: {work / 'cache.db'}}}}}", spec_text
    )
    # the spec's own questions and outputs give way to the truth questions and the bench folder
    spec_text = re.sub(
        r"(?s)tasks:.*",
        f"tasks: {{summarize: true, ask: {json.dumps([p for _, p in asked])}}}\n"
        f"outputs: {outputs / 'runs'}\n",
        spec_text,
    )
    spec = work / "spec.yaml"
    spec.write_text(spec_text)
    result = run(load_spec(spec, inputs=[str(folder / "lecture.mp4")]))[0]
    assert result.error is None, result.error
    answers = json.loads((result.run_dir / "answers.json").read_text())
    right = 0
    for (question, _), answer in zip(asked, answers, strict=True):
        said = " ".join(words(answer["answer"]))
        right += any(" ".join(words(a)) in said for a in [question["answer"], *question["aliases"]])
    return right / len(asked), len(asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--topics", type=int, default=4)
    parser.add_argument("--ask", action="store_true", help="measure `halo ask` accuracy instead")
    args = parser.parse_args()
    if args.ask:
        for seed in args.seeds:
            folder = lecture(seed, args.minutes, args.topics)
            before, n = ask_accuracy(folder, with_slides=False)
            after, _ = ask_accuracy(folder, with_slides=True)
            print(
                json.dumps(
                    {
                        "seed": seed,
                        "questions": n,
                        "ask_accuracy_without_slides": round(before, 3),
                        "ask_accuracy_with_slides": round(after, 3),
                    }
                ),
                flush=True,
            )
        return

    from halo_scenedetect import SceneDetect
    from halo_slides import SlidesExtractor
    from halo_whisper.faster import FasterWhisper
    from halo_whisper.metrics import word_error_rate

    from halo_core import Timeline, probe

    rows = []
    for seed in args.seeds:
        folder = lecture(seed, args.minutes, args.topics)
        truth = json.loads((folder / "truth.json").read_text())
        media = probe(folder / "lecture.mp4")
        empty = Timeline(duration=media.duration)
        bare, asr_wall, asr_cpu = timed(FasterWhisper.from_options({}), media, empty)
        scenes, _, scenes_cpu = timed(SceneDetect.from_options({}), media, empty)
        timeline = empty.with_track("scenes", scenes)
        slides, slides_wall, slides_cpu = timed(SlidesExtractor.from_options({}), media, timeline)
        prompted, _, _ = timed(
            FasterWhisper.from_options({"slide_prompts": True}),
            media,
            empty.with_track("slides", slides),
        )
        reference = " ".join(s["text"] for s in truth["sentences"])
        row = score(slides, truth) | {
            "wer_bare": word_error_rate(reference, " ".join(s.text for s in bare)),
            "wer_slide_prompts": word_error_rate(reference, " ".join(s.text for s in prompted)),
            "seed": seed,
            "minutes": round(media.duration / 60, 1),
            "slides_over_asr_wall": slides_wall / asr_wall,
            "slides_over_asr_cpu": slides_cpu / asr_cpu,
            "with_scenes_over_asr_cpu": (slides_cpu + scenes_cpu) / asr_cpu,
            "asr_wall_s": asr_wall,
            "slides_wall_s": slides_wall,
        }
        rows.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
    mean = {
        k: sum(r[k] for r in rows) / len(rows)
        for k in ("recall", "precision", "heading", "wer_bare", "wer_slide_prompts")
    }
    mean |= {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if k.endswith(("cpu", "wall"))}
    print("mean", json.dumps({k: round(v, 3) for k, v in mean.items()}))


if __name__ == "__main__":
    main()
