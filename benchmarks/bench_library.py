"""A library of generated lectures: finding the right video, add time as it grows, latency.

Makes N short lectures with ../shared/tools/make_lecture.py (2 topics each, drawn from one
18-topic corpus, so topics recur across lectures and share vocabulary; subtitles sidecars, no
ASR), runs them once with a subtitles spec (benchmarks/media/library/runs), then:

- adds the run folders one by one to a fresh library: the wall time of the k-th add, k = 1…N
  (flat = adding embeds and indexes only the new video); the ratio of the last five adds to the
  first five;
- asks every truth.json question of every lecture across the whole library: right video = the
  top citation is a video holding that question's evidence; right topic = it is, and its time
  range lies within ±5 s of that evidence (a topic in several lectures has evidence in each);
- answer latency at N videos: cold (each question asked once, cache misses) and warm (L1), and
  opening the library afresh (as `halo ask LIB` does) plus one question;
- "Which lectures cover <topic>?" for every topic: precision and recall of the listed videos.

Run: .venv/bin/python benchmarks/bench_library.py [--videos 20] [--embedder hashing]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lectures import MEDIA, generated_lecture  # noqa: E402

import halo_core  # noqa: E402

WORK = MEDIA / "library"
SPEC = """\
version: 1
name: bench-library
extractors: [{{use: subtitles}}]
chunker: {{use: rules, with: {{min_duration: 10, max_duration: 40}}}}
embedder: {{use: {embedder}}}
index: {{use: numpy}}
cache: {{use: sqlite, with: {{path: {cache}}}}}
llm: {{use: extractive}}
tasks: {{summarize: true}}
outputs: runs
"""
SLACK_S = 5.0


def lectures(n: int) -> list[Path]:
    """lecture-KK.mp4 (+ .srt) hard links to the generated lectures, in WORK/media (inputs are
    resolved, so symbolic links would all be named lecture.mp4 again)."""
    media = WORK / "media"
    media.mkdir(parents=True, exist_ok=True)
    found = []
    for k in range(n):
        source = generated_lecture(
            f"library-{k:02d}", "--seed", str(1200 + k), "--topics", "2", "--minutes", "1"
        )
        for suffix in (".mp4", ".srt"):
            link = media / f"lecture-{k:02d}{suffix}"
            if not link.exists():
                os.link(source / f"lecture{suffix}", link)
        found.append(media / f"lecture-{k:02d}.mp4")
    return found


def truth_of(media: Path) -> dict[str, object]:
    """truth.json of the generated lecture `media` (lecture-KK.mp4) links to."""
    k = int(media.stem.rsplit("-", 1)[1])
    data: dict[str, object] = json.loads((MEDIA / f"library-{k:02d}" / "truth.json").read_text())
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--embedder", default="hashing")
    args = parser.parse_args()

    media = lectures(args.videos)
    folder = WORK / args.embedder
    shutil.rmtree(folder / "lib", ignore_errors=True)
    (folder / "cache.db").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(embedder=args.embedder, cache=folder / "cache.db"))
    results = halo_core.run(spec, inputs=media, out=folder / "runs")
    assert all(r.error is None for r in results), [r.error for r in results]

    library = halo_core.open_library(folder / "lib")
    # build the pipeline with one add, then take that video out again (gc drops its indexes
    # and cache entries), so no measured add pays for the models' loading
    first, _ = library.add(results[0].run_dir)  # type: ignore[arg-type]
    library.remove(first.id)
    library.gc()
    embedder = library.pipeline.embedder
    embed = embedder.embed
    embedded = [0]

    def counting(texts: list[str]) -> object:  # the work an add does: texts it embeds
        embedded[-1] += len(texts)
        return embed(texts)

    embedder.embed = counting  # type: ignore[method-assign]
    times, texts = [], []
    for result in results:
        embedded[-1] = 0
        started = time.perf_counter()
        library.add(result.run_dir)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
        texts.append(embedded[-1])
    print(f"time to add the k-th video (run folder; embed + index that video), {args.embedder}:")
    for k, (t, n) in enumerate(zip(times, texts, strict=True), 1):
        bar = "#" * max(1, round(40 * t / max(times)))
        print(f"  k={k:2d}  {t * 1000:7.1f} ms  {n:3d} texts embedded  {bar}")
    head, tail = statistics.median(times[:5]), statistics.median(times[-5:])
    print(
        f"  median of k=1..5: {head * 1000:.1f} ms, of the last five: {tail * 1000:.1f} ms, "
        f"ratio {tail / head:.2f} (1.0 = flat); texts embedded per add "
        f"{min(texts)}–{max(texts)} (that video's sentences, summaries and chunks only)"
    )
    embedder.embed = embed  # type: ignore[method-assign]

    ids = {Path(v.file).stem: v.id for v in library.videos()}
    evidence: dict[str, dict[str, list[tuple[float, float]]]] = {}
    covers: dict[str, set[str]] = {}
    titles: dict[str, str] = {}
    for m in media:
        truth = truth_of(m)
        for topic in truth["topics"]:  # type: ignore[union-attr]
            covers.setdefault(topic["id"], set()).add(ids[m.stem])
            titles[topic["id"]] = topic["title"]
        for q in truth["questions"]:  # type: ignore[union-attr]
            spans = [(e["start"], e["end"]) for e in q["evidence"]]
            evidence.setdefault(q["question"], {})[ids[m.stem]] = spans

    right_video = right_topic = 0
    cold, warm, tokens, naive = [], [], [], []
    for question, where in evidence.items():
        started = time.perf_counter()
        answer = library.ask(question)
        cold.append(time.perf_counter() - started)
        top = answer.citations[0]
        if top.video_id in where:
            right_video += 1
            if any(
                top.start <= e + SLACK_S and top.end >= s - SLACK_S for s, e in where[top.video_id]
            ):
                right_topic += 1
        tokens.append(answer.usage.input_tokens)
        naive.append(answer.naive_input_tokens)
        started = time.perf_counter()
        library.ask(question)
        warm.append(time.perf_counter() - started)
    n = len(evidence)
    shared = sum(1 for w in evidence.values() if len(w) > 1)
    print(f"\n{n} questions over {args.videos} videos ({shared} asked in more than one lecture):")
    print(
        f"  right video {right_video / n:.0%}, right video and topic (±{SLACK_S:.0f} s) "
        f"{right_topic / n:.0%}"
    )
    print(
        f"  input tokens per question {statistics.mean(tokens):.0f} vs "
        f"{statistics.mean(naive):.0f} with every transcript "
        f"({statistics.mean(tokens) / statistics.mean(naive):.3f}×)"
    )
    print(
        f"  answer latency at {args.videos} videos: cold median "
        f"{statistics.median(cold) * 1000:.0f} ms (p90 "
        f"{sorted(cold)[int(0.9 * (n - 1))] * 1000:.0f} ms), warm (L1) median "
        f"{statistics.median(warm) * 1000:.0f} ms"
    )

    precision, recall = [], []
    for topic, videos in covers.items():
        answer = library.ask(f"Which lectures cover {titles[topic]}?")
        listed = {c.video_id for c in answer.citations}
        precision.append(len(listed & videos) / len(listed) if listed else 0.0)
        recall.append(len(listed & videos) / len(videos))
    print(
        f"\n'Which lectures cover <topic>?' over {len(covers)} topics: precision "
        f"{statistics.mean(precision):.0%}, recall {statistics.mean(recall):.0%}"
    )
    library.close()

    started = time.perf_counter()
    with halo_core.open_library(folder / "lib") as fresh:  # as `halo ask LIB` in a new process
        fresh.ask("Which enzyme unwinds the DNA double helix during replication?")
    print(
        f"open the library ({args.videos} videos' indexes) and answer one question: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
