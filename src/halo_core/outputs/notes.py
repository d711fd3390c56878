"""notes.md: the readable document of a run — overall summary, timestamped sections, chunk list."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Answer, Chunk, Media, Summaries, Summary
from ..times import clock, span_label


def _points(summary: Summary) -> list[str]:
    return [f"- {point}" for point in summary.key_points]


def render_notes(
    title: str,
    media: Media,
    summaries: Summaries,
    chunks: Sequence[Chunk],
    answers: Sequence[Answer] = (),
) -> str:
    lines = [
        f"# {title}",
        "",
        f"*{media.path.name} \u00b7 {clock(media.duration)} \u00b7 "
        f"{len(chunks)} chunks in {len(summaries.sections)} sections*",
        "",
    ]
    if summaries.video is not None:
        lines += ["## Summary", "", summaries.video.text, ""]
        if summaries.video.key_points:
            lines += ["**Key points**", "", *_points(summaries.video), ""]
    if summaries.sections:
        lines += ["## Sections", ""]
    for number, section in enumerate(summaries.sections, start=1):
        heading = section.title or f"Section {number}"
        lines += [f"### {span_label(section.start, section.end)} {heading}", "", section.text, ""]
        if section.key_points:
            lines += [*_points(section), ""]
    if answers:
        lines += ["## Questions", ""]
        for answer in answers:
            cited = ", ".join(span_label(c.start, c.end) for c in answer.citations)
            lines += [
                f"**{answer.question}**",
                "",
                answer.answer + (f" {cited}" if cited else ""),
                "",
            ]
    by_id = {s.id: s for s in summaries.chunks}
    lines += ["## Chunks", ""]
    for chunk in chunks:
        summary = by_id.get(chunk.id)
        gist = (summary.title or summary.text) if summary else chunk.text[:160]
        why = ", ".join(r.kind for r in chunk.closed_by.reasons) or "end"
        lines.append(f"- {span_label(chunk.start, chunk.end)} {gist} *(cut: {why})*")
    return "\n".join(lines).rstrip() + "\n"
