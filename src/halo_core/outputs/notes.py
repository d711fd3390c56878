"""notes.md: the readable document of a run — what the video covers (its sections, one line each,
and key points), the sections in detail, answers, the chunk list."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Answer, Chunk, Media, Summaries, Summary
from ..times import clock, span_label


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _heading(section: Summary, number: int) -> str:
    return section.title or f"Section {number}"


def _points(summary: Summary) -> list[str]:
    return [f"- {point}" for point in summary.key_points]


def render_notes(
    title: str,
    media: Media,
    summaries: Summaries,
    chunks: Sequence[Chunk],
    answers: Sequence[Answer] = (),
    notices: Sequence[str] = (),
) -> str:
    """The document; `notices` (what the run left out, e.g. a skipped extractor) make one line
    under the title."""
    lines = [
        f"# {title}",
        "",
        f"*{media.path.name} \u00b7 {clock(media.duration)} \u00b7 "
        f"{_count(len(chunks), 'chunk')} in {_count(len(summaries.sections), 'section')}*",
        "",
    ]
    if notices:
        lines += [f"> Note: {'; '.join(notices)}.", ""]
    # The parts a reader follows: the sections, or the chunks when one section holds them all
    # (the parts the video summary read).
    parts = summaries.sections if len(summaries.sections) > 1 else summaries.chunks
    if summaries.video is not None:
        lines += ["## Summary", "", summaries.video.text, ""]
        if len(parts) > 1:  # the parts at a glance: time range and title
            lines += [f"- {span_label(s.start, s.end)} {_heading(s, n)}" for n, s in
                      enumerate(parts, start=1)] + [""]  # fmt: skip
        if summaries.video.key_points:
            lines += ["**Key points**", "", *_points(summaries.video), ""]
    if parts:
        lines += ["## Sections", ""]
    for number, section in enumerate(parts, start=1):
        heading = _heading(section, number)
        lines += [f"### {span_label(section.start, section.end)} {heading}", "", section.text, ""]
        if section.key_points:
            lines += [*_points(section), ""]
    if answers:
        lines += ["## Questions", ""]
        for answer in answers:
            # Q&A writes the citations into the answer already: add only those it left out
            labels = dict.fromkeys(span_label(c.start, c.end) for c in answer.citations)
            cited = " ".join(label for label in labels if label not in answer.answer)
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
