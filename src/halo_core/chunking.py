"""Shared chunking machinery: where a chunk may end, what evidence each place has, and how a list
of cut times becomes chunks.

A chunker (rules, fixed, or a learned one) works in three steps:

1. `transcript_units(timeline)`: the transcript as timed units (words when the transcript has
   word timestamps, else segments), each with its speaker.
2. `candidates(timeline, duration)`: the only places a cut may go. Between two units only at a
   sentence end, a pause, or a speaker change, so no cut falls inside a sentence (nor inside a
   written word the recogniser gave in pieces, " anti" + "-parallel."); in speech-free
   stretches (or a timeline without a transcript) at scene cuts, topic starts and speaker changes.
   Each candidate carries its evidence as features in [0, 1].
3. `build_chunks(timeline, duration, cut_times, ...)`: chunks that tile [0, duration] exactly,
   every unit in exactly one chunk (the one holding its midpoint, or its word's), the text
   rebuilt from the units by `join_words`: the chunks' texts, joined, are the transcript's text.

`boundary_f1` scores predicted boundary times against reference times.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Boundary, BoundaryReason, Chunk, Timeline, TranscriptSegment
from .text import ends_sentence, join_words
from .tokens import CHARS_PER_TOKEN

TRANSCRIPT, SPEAKERS, SCENES, TOPICS, SLIDES = (
    "transcript",
    "speakers",
    "scenes",
    "topics",
    "slides",
)

DEFAULT_WINDOW = 3.0
"""Seconds around a candidate in which a scene cut or topic start counts as evidence for it."""
DEFAULT_PAUSE_THRESHOLD = 0.6
"""A gap between words at least this long (seconds) is a candidate even without punctuation."""
DEFAULT_LONG_PAUSE = 2.0
"""A pause this long (seconds) or longer has pause feature 1."""

_EPS = 1e-6
MERGE_WITHIN = 0.25  # seconds: closer candidates are one


@dataclass(frozen=True)
class Unit:
    """One timed piece of transcript: a word, or a whole segment when it has no word timings.

    `text` opens with one space when the unit starts a new written word (a segment, the first
    word of a segment, a word the recogniser gave with its space) and with none when it continues
    the word before ("-parallel." after " anti"): `join_words` turns units back into text.
    """

    start: float
    end: float
    text: str
    speaker: str | None
    sentence_end: bool

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2

    @property
    def continues_word(self) -> bool:
        """True when no space separates this unit from the one before: a cut here splits a word."""
        return not self.text.startswith(" ")


@dataclass(frozen=True)
class Candidate:
    """A place a chunk may end, with the evidence for ending it there (features in [0, 1])."""

    time: float
    scene: float
    """strength of the strongest scene cut within the window (relative to the video's strongest
    cut), fading linearly with distance"""
    speaker: float
    """1 when the speaker before differs from the speaker after"""
    topic: float
    """strength of the strongest topic start within the window (relative to the video's strongest
    topic shift), fading linearly with distance"""
    pause: float
    """length of the silence the candidate sits in, divided by the long-pause length, capped at 1"""
    pause_s: float
    """that silence in seconds"""
    sentence_end: bool
    """the unit before ends with sentence-final punctuation"""
    tokens_before: int
    """estimated tokens of the transcript before this candidate"""
    units_before: int
    """transcript units (words or segments) whose midpoint is before this candidate"""


def transcript_units(timeline: Timeline) -> list[Unit]:
    """The transcript's words (or, for segments without words, the segments), sorted by time."""
    turns = _speaker_turns(timeline)
    units: list[Unit] = []
    for segment in timeline.track(TRANSCRIPT):
        if segment.words:
            last = len(segment.words) - 1
            opened = False  # a segment's first word starts a new word, space or not
            # Words stripped of their spaces by a source while its text has some: each is a word.
            stripped = " " in segment.text.strip() and not any(
                w.text[:1].isspace() for w in segment.words
            )
            for i, word in enumerate(segment.words):
                if not word.text.strip():
                    continue
                speaker = word.speaker or segment.speaker
                sentence_end = ends_sentence(word.text) or (
                    i == last and ends_sentence(segment.text)
                )
                space = " " if word.text[:1].isspace() or stripped or not opened else ""
                opened = True
                units.append(
                    Unit(word.start, word.end, space + word.text.strip(), speaker, sentence_end)
                )
        elif segment.text.strip():
            units.append(
                Unit(segment.start, segment.end, " " + segment.text.strip(), segment.speaker, True)
            )
    units.sort(key=lambda u: (u.mid, u.start))
    if turns and not any(u.speaker for u in units):
        units = [
            Unit(u.start, u.end, u.text, _speaker_at(turns, u.mid), u.sentence_end) for u in units
        ]
    return units


def sentences(timeline: Timeline, max_gap: float = 1.0) -> list[TranscriptSegment]:
    """The transcript regrouped into sentences: ASR segments often end mid-sentence or hold
    several. A silence longer than `max_gap` also ends one (speech that is never punctuated)."""
    groups: list[list[Unit]] = []
    for unit in transcript_units(timeline):
        previous = groups[-1][-1] if groups else None
        if previous and (
            unit.continues_word  # never split a written word
            or (not previous.sentence_end and unit.start - previous.end <= max_gap)
        ):
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return [
        TranscriptSegment(
            start=group[0].start,
            end=max(u.end for u in group),
            text=join_words(u.text for u in group),
            speaker=group[0].speaker,
        )
        for group in groups
    ]


def candidates(
    timeline: Timeline,
    duration: float,
    window: float = DEFAULT_WINDOW,
    pause_threshold: float = DEFAULT_PAUSE_THRESHOLD,
    long_pause: float = DEFAULT_LONG_PAUSE,
) -> list[Candidate]:
    """Every place a cut may go, in time order, strictly inside (0, duration)."""
    units = transcript_units(timeline)
    events = _events(timeline)
    event_times = [t for t, _ in events]
    times: list[tuple[float, float]] = []  # (cut time, pause seconds around it)

    def events_between(lo: float, hi: float) -> list[float]:
        return event_times[
            bisect.bisect_left(event_times, lo) : bisect.bisect_right(event_times, hi)
        ]

    if not units:
        times = [(t, 0.0) for t in events_between(0.0, duration)]
    else:
        first, last = units[0], units[-1]
        # speech-free stretches at the ends: only events can open or close a chunk there
        times += [(t, first.start) for t in events_between(0.0, min(first.start, first.mid - _EPS))]
        for before, after in zip(units, units[1:], strict=False):
            gap = after.start - before.end
            new_speaker = bool(before.speaker and after.speaker and before.speaker != after.speaker)
            if after.continues_word or not (
                before.sentence_end or gap >= pause_threshold or new_speaker
            ):
                continue
            lo, hi = before.mid + _EPS, after.mid  # a cut here keeps each unit whole
            if lo > hi:
                continue
            inside = [t for t in events_between(before.end, after.start) if lo <= t <= hi]
            middle = min(max((before.end + after.start) / 2, lo), hi)
            times += [(t, max(gap, 0.0)) for t in inside or [middle]]
        trailing = duration - last.end
        times += [(t, trailing) for t in events_between(max(last.end, last.mid + _EPS), duration)]

    mids = [u.mid for u in units]
    chars = char_prefix(units)
    speaker_change = _SpeakerChanges(_speaker_marks(timeline, units))
    scene_strength = _Nearby(_scene_cuts(timeline), window)
    topic_strength = _Nearby(_topic_starts(timeline), window)
    result: list[Candidate] = []
    for t, pause_s in sorted(times):
        # Events a few frames apart (a slide change and a topic shift found a sentence later, say)
        # are one place to cut, not two.
        if not (_EPS < t < duration - _EPS) or (result and t - result[-1].time < MERGE_WITHIN):
            continue
        n_before = bisect.bisect_left(mids, t)
        result.append(
            Candidate(
                time=t,
                scene=scene_strength(t),
                speaker=speaker_change(t),
                topic=topic_strength(t),
                pause=min(1.0, pause_s / long_pause) if units else 0.0,
                pause_s=pause_s,
                sentence_end=bool(n_before and units[n_before - 1].sentence_end),
                tokens_before=tokens_of_chars(chars_between(units, chars, 0, n_before)),
                units_before=n_before,
            )
        )
    return result


def tokens_of_chars(chars: int) -> int:
    """`estimate_tokens` of a text `chars` characters long."""
    return math.ceil(chars / CHARS_PER_TOKEN) if chars > 0 else 0


def char_prefix(units: Sequence[Unit]) -> list[int]:
    """prefix[i] = characters of units[:i], leading spaces included (`chars_between` reads it)."""
    prefix = [0]
    for unit in units:
        prefix.append(prefix[-1] + len(unit.text))
    return prefix


def chars_between(units: Sequence[Unit], prefix: Sequence[int], a: int, b: int) -> int:
    """Characters of the text `build_chunks` writes for units[a:b] (no leading space)."""
    return prefix[b] - prefix[a] - (1 if b > a and not units[a].continues_word else 0)


def unit_gaps(units: Sequence[Unit], lo: float, hi: float) -> list[float]:
    """Cut times between consecutive words (sentence end or not, never inside a written word)
    inside (lo, hi)."""
    gaps = []
    for before, after in zip(units, units[1:], strict=False):
        if after.continues_word:
            continue
        t = min(max((before.end + after.start) / 2, before.mid + _EPS), after.mid)
        if before.mid + _EPS <= t and lo < t < hi:
            gaps.append(t)
    return gaps


def build_chunks(
    timeline: Timeline,
    duration: float,
    cut_times: Sequence[float],
    reasons_by_time: Mapping[float, Sequence[BoundaryReason]],
    scores_by_time: Mapping[float, float] | None = None,
) -> list[Chunk]:
    """Chunks tiling [0, duration] at `cut_times` (increasing, strictly inside (0, duration)).

    Each transcript unit goes to the chunk holding its midpoint; a piece of a written word goes
    with the word's first piece (a cut between " anti" and "-parallel." splits no text).
    `reasons_by_time[t]` says why the
    cut at t was placed; its boundary score is `scores_by_time[t]`, or its strongest reason's.
    """
    cuts = list(cut_times)
    for a, b in zip([0.0, *cuts], [*cuts, duration], strict=True):
        if not b > a and duration > 0:
            raise ValueError(f"cut times must increase strictly inside (0, {duration}): {cuts}")
    edges = [0.0, *cuts, duration]
    units = transcript_units(timeline)
    members: list[list[Unit]] = [[] for _ in range(len(edges) - 1)]
    k = 0
    for unit in units:
        if not unit.continues_word:  # a piece of a written word stays with the word's start
            k = min(bisect.bisect_right(cuts, unit.mid), len(members) - 1)
        members[k].append(unit)

    def boundary(t: float, kind: str) -> Boundary:
        if kind in ("start", "end"):
            return Boundary(time=t, score=1.0, reasons=[BoundaryReason(kind=kind, score=1.0)])
        reasons = list(reasons_by_time.get(t, ()))
        score = (scores_by_time or {}).get(t, max((r.score for r in reasons), default=0.0))
        return Boundary(time=t, score=score, reasons=reasons)

    scene_cuts = [t for t, _ in _scene_cuts(timeline)]
    turns = _speaker_turns(timeline)
    chunks = []
    for i, (start, end) in enumerate(zip(edges, edges[1:], strict=False)):
        inside = members[i]
        # a stretch without speech (a silent slide deck) says what its slides say
        text = join_words(u.text for u in inside) if inside else slide_text_in(timeline, start, end)
        speakers = list(dict.fromkeys(u.speaker for u in inside if u.speaker))
        if not inside:
            speakers = list(dict.fromkeys(s for s0, s1, s in turns if s0 < end and s1 > start))
        chunks.append(
            Chunk(
                id=f"c{i:04d}",
                index=i,
                start=start,
                end=end,
                text=text,
                opened_by=boundary(start, "start" if i == 0 else "cut"),
                closed_by=boundary(end, "end" if i == len(members) - 1 else "cut"),
                token_estimate=tokens_of_chars(len(text)),
                speakers=speakers,
                scene_cuts=[t for t in scene_cuts if start <= t < end],
                topics=list(
                    dict.fromkeys(
                        s.label for s in timeline.track(TOPICS) if s.start < end and s.end > start
                    )
                ),
                word_count=len(text.split()),
            )
        )
    return chunks


def boundary_f1(
    predicted: Sequence[float], truth: Sequence[float], tolerance: float
) -> tuple[float, float, float]:
    """(precision, recall, F1) of boundary times, matched one-to-one within ±tolerance seconds.

    Matching is greedy: the closest remaining (predicted, true) pair first. Empty predictions
    against empty truth score 1.
    """
    pairs = sorted(
        (abs(p - t), i, j)
        for i, p in enumerate(predicted)
        for j, t in enumerate(truth)
        if abs(p - t) <= tolerance
    )
    used_p: set[int] = set()
    used_t: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    matched = len(used_p)
    precision = matched / len(predicted) if predicted else float(not truth)
    recall = matched / len(truth) if truth else float(not predicted)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- signals -------------------------------------------------------------------------------------


def _scene_cuts(timeline: Timeline) -> list[tuple[float, float]]:
    """(cut time, strength) of every scene cut; a scene starting at 0 is not a cut."""
    return sorted((s.start, s.score) for s in timeline.track(SCENES) if s.start > 0)


def _topic_starts(timeline: Timeline) -> list[tuple[float, float]]:
    """(start, strength) of every topic shift: the topics track's, and each slide that brings a
    new heading (full strength: a deck's own word that a new part begins)."""
    shifts = [(s.start, s.score) for s in timeline.track(TOPICS) if s.start > 0]
    return sorted(shifts + _heading_changes(timeline))


def _heading_changes(timeline: Timeline) -> list[tuple[float, float]]:
    changes: list[tuple[float, float]] = []
    previous = None
    for slide in timeline.track(SLIDES):
        heading = " ".join(getattr(slide, "heading", "").casefold().split())
        if not heading:
            continue
        if previous is not None and heading != previous and slide.start > 0:
            changes.append((slide.start, 1.0))
        previous = heading
    return changes


def longest_shown(segments: Sequence[Any], start: float, end: float, attribute: str) -> str:
    """The non-empty `attribute` of the segment overlapping [start, end) the longest ("")."""
    best, best_overlap = "", 0.0
    for segment in segments:
        value = " ".join(str(getattr(segment, attribute, "") or "").split())
        overlap = min(float(segment.end), end) - max(float(segment.start), start)
        if value and overlap > best_overlap:
            best, best_overlap = value, overlap
    return best


def slide_heading_in(timeline: Timeline, start: float, end: float) -> str:
    """The heading of the slide shown longest in [start, end), or ""."""
    return longest_shown(timeline.track(SLIDES), start, end, "heading")


def slide_text_in(timeline: Timeline, start: float, end: float) -> str:
    """The text of the slides shown in [start, end), each distinct line once, in order: what a
    stretch without speech says."""
    lines = (
        line
        for slide in timeline.track(SLIDES)
        if slide.start < end and slide.end > start
        for line in str(getattr(slide, "text", "")).splitlines()
    )
    return "\n".join(dict.fromkeys(line.strip() for line in lines if line.strip()))


def _speaker_turns(timeline: Timeline) -> list[tuple[float, float, str]]:
    return sorted((s.start, s.end, s.speaker) for s in timeline.track(SPEAKERS))


def _speaker_changes(timeline: Timeline) -> list[tuple[float, float]]:
    """(time, 1.0) where one speaker's turn gives way to another's (the middle of the handover)."""
    turns = _speaker_turns(timeline)
    return [
        ((a_end + b_start) / 2 if b_start >= a_end else b_start, 1.0)
        for (_, a_end, a), (b_start, _, b) in zip(turns, turns[1:], strict=False)
        if a != b
    ]


def _events(timeline: Timeline) -> list[tuple[float, float]]:
    """Evidence that can open a chunk without speech: scene cuts, topic and speaker changes."""
    return sorted(_scene_cuts(timeline) + _topic_starts(timeline) + _speaker_changes(timeline))


def has_signal(timeline: Timeline, signal: str) -> bool:
    """Whether the timeline carries any evidence of this kind: scene, speaker, topic or pause."""
    if signal == "scene":
        return bool(_scene_cuts(timeline))
    if signal == "topic":
        return bool(_topic_starts(timeline))
    if signal == "speaker":
        return len({s for _, s in _speaker_marks(timeline, transcript_units(timeline))}) > 1
    if signal == "pause":
        return bool(transcript_units(timeline))
    raise ValueError(f"unknown signal {signal!r}")


class _Nearby:
    """The strongest event within `window` seconds of a time, fading linearly with distance.

    Strengths are divided by the strongest event's, so that a detector whose scores are all low
    (its scale is its own) still marks its best boundaries as full evidence.
    """

    def __init__(self, events: list[tuple[float, float]], window: float) -> None:
        top = max((max(0.0, min(1.0, s)) for _, s in events), default=0.0)
        self.events = [(e, max(0.0, min(1.0, s)) / top if top else 0.0) for e, s in events]
        self.window = window
        self.times = [e for e, _ in events]

    def __call__(self, t: float) -> float:
        if self.window <= 0:
            return 0.0
        lo = bisect.bisect_left(self.times, t - self.window)
        hi = bisect.bisect_right(self.times, t + self.window)
        return max((s * (1 - abs(e - t) / self.window) for e, s in self.events[lo:hi]), default=0.0)


def _speaker_at(turns: list[tuple[float, float, str]], t: float) -> str | None:
    return next((s for start, end, s in turns if start <= t <= end), None)


def _speaker_marks(timeline: Timeline, units: Sequence[Unit]) -> list[tuple[float, str]]:
    """(time, speaker) observations: each unit's speaker, or turn starts and ends without them."""
    if any(u.speaker for u in units):
        return [(u.mid, u.speaker) for u in units if u.speaker]
    return sorted((t, s) for start, end, s in _speaker_turns(timeline) for t in (start, end))


class _SpeakerChanges:
    """1 when the last speaker observed before a time differs from the first one after it."""

    def __init__(self, marks: list[tuple[float, str]]) -> None:
        self.marks = marks
        self.times = [m for m, _ in marks]

    def __call__(self, t: float) -> float:
        i = bisect.bisect_left(self.times, t)
        if i == 0 or i == len(self.marks):
            return 0.0
        return 1.0 if self.marks[i - 1][1] != self.marks[i][1] else 0.0
