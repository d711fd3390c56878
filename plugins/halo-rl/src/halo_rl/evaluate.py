"""`halo rl eval`: compare chunkers on run folders against topic truth."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from halo_core import HaloError, Media, RunContext, Timeline, boundary_f1, get_registry

from .episode import EmbedTexts, episode_from_timeline, text_embedding


@dataclass(frozen=True)
class Score:
    run: str
    chunker: str
    precision: float
    recall: float
    f1: float
    coherence: float
    """Mean cosine of each stretch of speech to its chunk's centroid (higher: more on-topic)."""
    chunks: int
    tokens_per_chunk: float


def truth_boundaries(truth_path: Path) -> list[float]:
    """Topic boundaries of a generated lecture's truth.json: every topic start after the first."""
    try:
        topics = json.loads(truth_path.read_text())["topics"]
    except (OSError, ValueError, KeyError) as exc:
        raise HaloError(
            f"cannot read topics from truth file ({exc})",
            where=str(truth_path),
            fix="pass the truth.json written by make_lecture.py beside the video",
        ) from None
    return [float(t["start"]) for t in topics[1:]]


def media_path(run_dir: Path) -> Path | None:
    """The video a run folder was made from, as its run.json records it."""
    try:
        return Path(json.loads((run_dir / "run.json").read_text())["media"]["path"])
    except (OSError, ValueError, KeyError):
        return None


def truth_file(run_dir: Path) -> Path:
    """The truth.json of a run's video: in the run folder, or beside the video."""
    media = media_path(run_dir)
    for path in (run_dir / "truth.json", *([media.parent / "truth.json"] if media else [])):
        if path.is_file():
            return path
    raise HaloError(
        "no topic truth for this run",
        where=str(run_dir),
        fix="train on runs of generated lectures (make_lecture.py writes truth.json beside the "
        "video), or copy the video's truth.json into the run folder",
    )


def run_label(run_dir: Path) -> str:
    """The run's media as `folder/stem` (run folders of same-named files look alike)."""
    media = media_path(run_dir)
    return f"{media.parent.name}/{media.stem}" if media else run_dir.name


def load_timeline(run_dir: Path) -> Timeline:
    path = run_dir / "timeline.json"
    if not path.is_file():
        raise HaloError(
            "no timeline.json in this folder",
            where=str(run_dir),
            fix="pass a run folder written by `halo run` (runs/<spec>/<media>)",
        )
    return Timeline.model_validate_json(path.read_text())


def coherence(timeline: Timeline, cut_times: list[float], embed: EmbedTexts) -> float:
    episode = episode_from_timeline(timeline, embed)
    middles = (episode.span_bounds[:-1] + episode.span_bounds[1:]) / 2
    owner = np.searchsorted(np.asarray(cut_times), middles, side="right")
    spoken = np.linalg.norm(episode.span_vectors, axis=1) > 0
    scores = []
    for chunk in np.unique(owner[spoken]):
        vectors = episode.span_vectors[(owner == chunk) & spoken]
        centroid = vectors.sum(axis=0)
        scores.extend(vectors @ (centroid / np.linalg.norm(centroid)))
    return float(np.mean(scores)) if scores else 0.0


def evaluate(
    run_dirs: list[Path],
    truths: list[Path],
    chunkers: list[str],
    tolerance: float = 5.0,
    embedder: str = "tfidf",
    policy: str = "bundled",
) -> list[Score]:
    if len(truths) != len(run_dirs):
        raise HaloError(
            f"{len(run_dirs)} run folders but {len(truths)} truth files",
            fix="pass one --truth per run folder, in the same order",
        )
    registry = get_registry()
    embed = text_embedding(embedder)
    scores = []
    for run_dir, truth_path in zip(run_dirs, truths):
        timeline = load_timeline(run_dir)
        truth = truth_boundaries(truth_path)
        media = Media(
            path=run_dir / "timeline.json", sha256="", size_bytes=0, duration=timeline.duration
        )
        for name in chunkers:
            options = {"policy": policy} if name == "ppo" else None
            chunker = registry.build("chunker", name, options)
            chunks = chunker.chunk(timeline, media, RunContext(stage=name))
            cuts = [c.start for c in chunks[1:]]
            precision, recall, f1 = boundary_f1(cuts, truth, tolerance)
            scores.append(
                Score(
                    run=run_label(run_dir),
                    chunker=name,
                    precision=precision,
                    recall=recall,
                    f1=f1,
                    coherence=coherence(timeline, cuts, embed),
                    chunks=len(chunks),
                    tokens_per_chunk=float(np.mean([c.token_estimate for c in chunks])),
                )
            )
    return scores


def table(scores: list[Score]) -> str:
    header = (
        f"{'run':<28} {'chunker':<8} {'P':>5} {'R':>5} {'F1':>5} {'coher':>6} "
        f"{'chunks':>6} {'tok/chunk':>9}"
    )
    rows = [header, "-" * len(header)]
    for s in scores:
        rows.append(
            f"{s.run[-28:]:<28} {s.chunker:<8} {s.precision:5.2f} {s.recall:5.2f} {s.f1:5.2f} "
            f"{s.coherence:6.3f} {s.chunks:6d} {s.tokens_per_chunk:9.0f}"
        )
    for name in dict.fromkeys(s.chunker for s in scores):
        mine = [s for s in scores if s.chunker == name]
        rows.append(
            f"{'mean':<28} {name:<8} {np.mean([s.precision for s in mine]):5.2f} "
            f"{np.mean([s.recall for s in mine]):5.2f} {np.mean([s.f1 for s in mine]):5.2f} "
            f"{np.mean([s.coherence for s in mine]):6.3f} {np.mean([s.chunks for s in mine]):6.1f} "
            f"{np.mean([s.tokens_per_chunk for s in mine]):9.0f}"
        )
    return "\n".join(rows)


def as_json(scores: list[Score]) -> str:
    return json.dumps([asdict(s) for s in scores], indent=2)


COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#e53e3e")


def plot_svg(scores: list[Score]) -> str:
    """Grouped bars: boundary F1 of each chunker on each run."""
    runs = list(dict.fromkeys(s.run for s in scores))
    names = list(dict.fromkeys(s.chunker for s in scores))
    group, bar, height, left = 24 * len(names) + 20, 24, 200, 40
    width = left + group * len(runs) + 140
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 70}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="14" font-size="13">Boundary F1 vs topic truth</text>',
    ]
    for tick in (0, 0.5, 1.0):
        y = 20 + height * (1 - tick)
        parts.append(
            f'<line x1="{left}" x2="{width - 140}" y1="{y}" y2="{y}" stroke="#ddd"/>'
            f'<text x="4" y="{y + 4}">{tick:.1f}</text>'
        )
    by_key = {(s.run, s.chunker): s for s in scores}
    for r, run in enumerate(runs):
        x0 = left + r * group + 10
        for c, name in enumerate(names):
            score = by_key.get((run, name))
            if score is None:
                continue
            h = height * score.f1
            parts.append(
                f'<rect x="{x0 + c * bar}" y="{20 + height - h}" width="{bar - 4}" '
                f'height="{h}" fill="{COLOURS[c % len(COLOURS)]}"/>'
            )
        parts.append(f'<text x="{x0}" y="{height + 36}">{run[-14:]}</text>')
    for c, name in enumerate(names):
        y = 30 + 16 * c
        parts.append(
            f'<rect x="{width - 130}" y="{y - 9}" width="10" height="10" '
            f'fill="{COLOURS[c % len(COLOURS)]}"/><text x="{width - 115}" y="{y}">{name}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
