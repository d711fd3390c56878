"""Captions (SRT and WebVTT) from the transcript's words, cut for reading.

Each cue holds one speaker's words, at most `MAX_LINES` lines of at most `MAX_CHARS` characters
(the speaker label included) and lasts at most `MAX_SECONDS`. A cue ends at every sentence end:
a sentence longer than one cue is split at the last comma that leaves the cue at least half
full, else between words. These are the usual broadcast reading limits (BBC, Netflix: 42
characters, 2 lines, 7 seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..chunking import Unit, transcript_units
from ..model import Timeline
from ..text import join_words

MAX_CHARS = 42
MAX_LINES = 2
MAX_SECONDS = 7.0


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str | None
    lines: tuple[str, ...]
    """the text as shown, the speaker label on the first line when the speaker changes"""
    text: str
    """the words alone"""


def words(timeline: Timeline) -> list[Unit]:
    """The transcript as timed words: a segment without word timings (subtitles) is split into
    its words, each given a share of the segment's time proportional to its length."""
    out: list[Unit] = []
    for unit in transcript_units(timeline):
        parts = unit.text.split()
        if len(parts) <= 1:
            out.append(unit)
            continue
        total = sum(len(p) + 1 for p in parts)
        at = unit.start
        for i, part in enumerate(parts):
            end = (
                unit.start
                + (unit.end - unit.start) * sum(len(p) + 1 for p in parts[: i + 1]) / total
            )
            last = i == len(parts) - 1
            # each whitespace-split part is a word of its own: it gets its space (see Unit)
            out.append(Unit(at, end, " " + part, unit.speaker, unit.sentence_end and last))
            at = end
    return out


def wrap(text: str, width: int = MAX_CHARS, max_lines: int = MAX_LINES) -> tuple[str, ...] | None:
    """`text` on as few lines of at most `width` characters as it fits, balanced (the longest
    line as short as it can be); None when it needs more than `max_lines`."""
    tokens = text.split()
    if len(text) <= width:
        return (text,)
    if max_lines < 2:
        return None
    best: tuple[str, ...] | None = None
    for split in range(1, len(tokens)):
        first, rest = " ".join(tokens[:split]), " ".join(tokens[split:])
        if len(first) > width:
            break
        tail = wrap(rest, width, max_lines - 1)
        if tail is None:
            continue
        candidate = (first, *tail)
        if best is None or max(map(len, candidate)) < max(map(len, best)):
            best = candidate
    return best


def cues(timeline: Timeline, labels: bool = True) -> list[Cue]:
    """The transcript cut into cues (see the module docstring); with `labels`, a cue that opens
    a new speaker's turn starts with `SPEAKER: ` (only when the transcript has speakers)."""
    units = words(timeline)
    speakers = {u.speaker for u in units if u.speaker}
    label_turns = labels and len(speakers) > 1
    out: list[Cue] = []
    current: list[Unit] = []
    previous_speaker: str | None = None

    def label(speaker: str | None) -> str:
        return (
            f"{speaker.upper()}: "
            if label_turns and speaker and speaker != previous_speaker
            else ""
        )

    def shown(group: Sequence[Unit]) -> tuple[str, ...] | None:
        return wrap(label(group[0].speaker) + join_words(u.text for u in group))

    def close(group: list[Unit]) -> None:
        nonlocal previous_speaker
        lines = shown(group) or (label(group[0].speaker) + join_words(u.text for u in group),)
        out.append(
            Cue(
                start=group[0].start,
                end=max(group[-1].end, group[0].start + 0.001),
                speaker=group[0].speaker,
                lines=lines,
                text=join_words(u.text for u in group),
            )
        )
        previous_speaker = group[0].speaker

    for unit in units:
        if current:
            fits = (
                unit.speaker == current[0].speaker
                and unit.end - current[0].start <= MAX_SECONDS
                and shown([*current, unit]) is not None
            )
            if current[-1].sentence_end or not fits:
                keep = len(current) if current[-1].sentence_end else _clause_break(current)
                close(current[:keep])
                current = current[keep:]
        current.append(unit)
    if current:
        close(current)
    return out


def _clause_break(group: list[Unit]) -> int:
    """How many of `group`'s words the cue keeps when it must end mid-sentence: up to the last
    comma that keeps at least half the words, else all."""
    for i in range(len(group) - 1, max(0, len(group) // 2 - 1), -1):
        if group[i - 1].text.endswith((",", ";", ":")):
            return i
    return len(group)


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def render_srt(cue_list: Sequence[Cue]) -> str:
    blocks = [
        f"{number}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n" + "\n".join(c.lines)
        for number, c in enumerate(cue_list, start=1)
    ]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(cue_list: Sequence[Cue]) -> str:
    """WebVTT; each cue's speaker as a voice span (`<v NAME>`), which players can style."""
    blocks = ["WEBVTT"]
    for c in cue_list:
        body = "\n".join(vtt_escape(line) for line in c.lines)
        if c.speaker:
            body = f"<v {vtt_escape(c.speaker)}>{body}</v>"
        blocks.append(f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{body}")
    return "\n\n".join(blocks) + "\n"


def clock(seconds: float) -> str:
    """HH:MM:SS.mmm, WebVTT's time stamp."""
    return _clock(seconds, ".")
