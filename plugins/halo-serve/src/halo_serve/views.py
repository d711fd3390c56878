"""What the pages and the JSON API show of a video: plain data built from its run folder's files.

The JSON shapes reuse the run's own file shapes (chunks.json's chunks, summaries.json,
timeline.json, answers.json) so a client reads them with the same schemas (specs/*.schema.json).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any

from halo_core import Answer, content_terms, span_label

from .library import Video
from .loader import RunFiles

_SPEAKER = re.compile(r"^SPEAKER_(\d+)$")
AUDIO_TYPES = {".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg"}


def media_url(video: Video) -> str:
    return f"/media/{video.id}"


def answer_text(answer: Answer) -> str:
    """The answer without the citation labels the core appends ("... [00:12–00:20]"): the page
    draws the citations as links beside it."""
    cited = " ".join(span_label(c.start, c.end) for c in answer.citations)
    text = answer.answer
    return text[: -len(cited)].rstrip() if cited and text.endswith(cited) else text


def ranked(question: str, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers from several videos, best first, each with its `match`: the share of the
    question's content words (stemmed, no stopwords) found in the answer. A stand-in for ranking
    by retrieval across videos, which belongs to a library of videos (issue #12)."""
    wanted = set(content_terms(question))
    scored = [
        {**a, "match": round(len(wanted & set(content_terms(a["answer"]))) / len(wanted), 3)}
        if wanted
        else {**a, "match": 0.0}
        for a in answers
    ]
    return sorted(scored, key=lambda a: -a["match"])  # stable: library order among equals


def speaker_name(label: str | None) -> str:
    """Diarization labels (SPEAKER_00) as people read them (Speaker 1); other names unchanged."""
    if not label:
        return ""
    match = _SPEAKER.match(label)
    return f"Speaker {int(match.group(1)) + 1}" if match else label


def _segments(files: RunFiles, kind: str) -> list[Any]:
    """Every segment of `kind` in any track, in time order (track names are the extractors')."""
    if files.timeline is None:
        return []
    found = [s for track in files.timeline.tracks.values() for s in track if s.kind == kind]
    return sorted(found, key=lambda s: (s.start, s.end))


def speakers(files: RunFiles) -> list[str]:
    labels = [s.speaker for s in _segments(files, "speaker")]
    labels += [s.speaker for s in _segments(files, "transcript") if s.speaker]
    labels += [name for c in files.chunks for name in c.speakers]
    return sorted(set(labels))


def topics(files: RunFiles) -> list[str]:
    labels = [s.label for s in _segments(files, "topic")] or [
        t for c in files.chunks for t in c.topics
    ]
    return list(dict.fromkeys(labels))


def cost_usd(files: RunFiles) -> float | None:
    if files.report is None:
        return None
    total = sum(float(m.get("cost_usd", 0.0)) for m in files.report.get("llm", {}).values())
    return round(total, 6)


def media_info(video: Video, files: RunFiles) -> dict[str, Any] | None:
    media = files.media
    if media is None or not media.path.is_file():  # not recorded yet, or moved since the run
        return None
    suffix = media.path.suffix.lower()
    if media.has_video:
        kind, mime = "video", mimetypes.types_map.get(suffix, "video/mp4")
    else:
        kind, mime = "audio", AUDIO_TYPES.get(suffix, mimetypes.types_map.get(suffix, "audio/mp4"))
    return {"url": media_url(video), "kind": kind, "type": mime, "name": media.path.name}


def video_summary(video: Video, files: RunFiles) -> dict[str, Any]:
    """One entry of GET /api/videos."""
    media = files.media
    duration = media.duration if media else (files.timeline.duration if files.timeline else None)
    return {
        "id": video.id,
        "title": video.title,
        "url": f"/v/{video.id}",
        "status": "finished" if files.finished else "failed" if files.failure else "running",
        "failure": files.failure,
        "stages": [
            {"stage": s.name, "done": s.done, "reused": s.reused, "wall_s": s.wall_s}
            for s in files.stages
        ],
        "duration": duration,
        "media": media_info(video, files),
        "speakers": speakers(files),
        "topics": topics(files),
        "chunk_count": len(files.chunks),
        "cost_usd": cost_usd(files),
    }


def video_detail(video: Video, files: RunFiles) -> dict[str, Any]:
    """GET /api/videos/<id>: the summary with the run's chunks, summaries, timeline and answers."""
    return {
        **video_summary(video, files),
        "chunks": [c.model_dump(mode="json") for c in files.chunks],
        "summaries": files.summaries.model_dump(mode="json") if files.summaries else None,
        "timeline": files.timeline.model_dump(mode="json") if files.timeline else None,
        "answers": [a.model_dump(mode="json") for a in files.answers],
    }


# --- what the video page draws ------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    label: str
    detail: str


@dataclass(frozen=True)
class Line:
    start: float
    end: float
    speaker: str
    text: str


def chapters(files: RunFiles) -> list[Chapter]:
    """One chapter per chunk, named by its summary's title, else its topics."""
    titles = {s.id: s.title for s in files.summaries.chunks} if files.summaries else {}
    return [
        Chapter(
            c.start,
            c.end,
            titles.get(c.id) or (c.topics[0] if c.topics else f"Part {n + 1}"),
            ", ".join(c.topics),
        )
        for n, c in enumerate(files.chunks)
    ]


def transcript(files: RunFiles) -> list[Line]:
    """Transcript segments with readable speaker names; a speaker is named only when it changes."""
    lines: list[Line] = []
    previous = None
    for s in _segments(files, "transcript"):
        shown = speaker_name(s.speaker) if s.speaker != previous else ""
        previous = s.speaker
        lines.append(Line(s.start, s.end, shown, " ".join(s.text.split())))
    return lines


@dataclass(frozen=True)
class Slide:
    start: float
    end: float
    heading: str
    body: str


def slides(files: RunFiles) -> list[Slide]:
    """Each slide's heading and the rest of its text (all of it when lines are not told apart)."""
    found = []
    for s in _segments(files, "slide_text"):
        body = [line.text for line in s.lines if line.role == "body"] if s.lines else [s.text]
        found.append(Slide(s.start, s.end, s.heading, "\n".join(body).strip()))
    return found
