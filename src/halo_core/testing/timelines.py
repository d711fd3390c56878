"""Random timelines for property tests (hypothesis strategies) and the chunk invariants to check.

`generated_timelines()` draws transcripts (with or without word timings, with or without
speakers), pauses, scene cuts, topic starts and durations, including empty transcripts,
scenes-only (silent) videos, long speech-free stretches and long sentences without any
punctuation-free pause. Within a sentence, gaps between words stay under 0.6 s (the default
pause threshold), so every candidate inside a sentence would be a bug. Words come as a recogniser
gives them: with their leading space, and some written words in pieces without one (" anti" +
"-parallel", " 1" + ",450", " moon" + "'s"), so a chunk text with a space inside those is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from ..model import Chunk, Scene, SpeakerTurn, Timeline, TopicSegment, TranscriptSegment, Word
from ..text import join_words

VOCAB = (
    "tide",
    "moon",
    "gravity",
    "ocean",
    "coast",
    "cell",
    "strand",
    "enzyme",
    "press",
    "ink",
    "type",
    "book",
    "the",
    "of",
    "and",
    "a",
    "pulls",
    "copies",
    "prints",
    "rises",
    "1",
    "15",
    "anti",
    "semi",
)
CONTINUATIONS = ("-parallel", "-conservative", "-based", ",450", ",000", ".5", "'s", "'t", "%")
"""Pieces a recogniser gives without a leading space: they continue the word before."""
PUNCTUATION = ("", "", "", ",", ";", ":", '"')  # none ends a sentence
FORCED_REASONS = frozenset({"max_duration", "max_tokens"})


@dataclass(frozen=True)
class GeneratedTimeline:
    timeline: Timeline
    duration: float
    text: str
    """the transcript's text: its segments' texts, in time order"""
    sentences: list[tuple[float, float]]
    """(first unit midpoint, last unit midpoint) of each sentence: no cut may fall in (a, b]"""


@st.composite
def generated_timelines(draw: st.DrawFn, max_sentences: int = 25) -> GeneratedTimeline:
    word_level = draw(st.booleans())
    speakers = draw(st.sampled_from([(), ("A",), ("A", "B"), ("A", "B", "C")]))
    turns_only = bool(speakers) and draw(st.booleans())  # speakers from a diarizer, not the ASR
    long_sentence_at = draw(st.integers(-1, max_sentences))
    t = draw(st.floats(0, 20))
    segments: list[TranscriptSegment] = []
    turns: list[SpeakerTurn] = []
    texts: list[str] = []
    sentences: list[tuple[float, float]] = []
    for s in range(draw(st.integers(0, max_sentences))):
        if s == long_sentence_at:
            durations = [draw(st.floats(0.3, 1.2))] * draw(st.integers(100, 400))
        else:
            durations = draw(st.lists(st.floats(0.05, 1.0), min_size=1, max_size=12))
        inner_gap = draw(st.floats(0, 0.45))
        speaker = draw(st.sampled_from(speakers)) if speakers else None
        words: list[Word] = []
        for i, d in enumerate(durations):
            last = i == len(durations) - 1
            piece = i > 0 and words[-1].text[:1] == " " and draw(st.booleans())
            head = draw(st.sampled_from(CONTINUATIONS if piece else [" " + w for w in VOCAB]))
            text = head + ("." if last else draw(st.sampled_from(PUNCTUATION)))
            words.append(
                Word(start=t, end=t + d, text=text, speaker=None if turns_only else speaker)
            )
            t += d + (inner_gap if not last else 0)
        text = "".join(w.text for w in words).strip()  # a segment's text, as a recogniser gives it
        start, end = words[0].start, words[-1].end
        segments.append(
            TranscriptSegment(
                start=start,
                end=end,
                text=text,
                words=words if word_level else [],
                speaker=None if turns_only else speaker,
            )
        )
        if speaker and turns_only:
            turns.append(SpeakerTurn(start=start, end=end, speaker=speaker))
        texts.append(text)
        if word_level:
            sentences.append(
                ((words[0].start + words[0].end) / 2, (words[-1].start + words[-1].end) / 2)
            )
        t = end + draw(st.one_of(st.floats(0, 1.5), st.floats(1.5, 8), st.floats(200, 500)))
    duration = t + draw(st.floats(0, 30)) if segments else draw(st.floats(0, 900))
    timeline = Timeline(duration=duration).with_track("transcript", segments)
    if turns:
        timeline = timeline.with_track("speakers", turns)
    if duration > 0 and draw(st.booleans()):
        cuts = sorted(set(draw(st.lists(st.floats(0.01, 1.0), max_size=15))))
        starts = [0.0] + [c * duration for c in cuts if c * duration < duration]
        timeline = timeline.with_track(
            "scenes",
            [
                Scene(start=a, end=b, keyframe=a, score=1.0 if i == 0 else draw(st.floats(0, 1)))
                for i, (a, b) in enumerate(zip(starts, [*starts[1:], duration], strict=True))
            ],
        )
    if duration > 0 and draw(st.booleans()):
        shifts = sorted(set(draw(st.lists(st.floats(0.01, 1.0), max_size=8))))
        starts = [0.0] + [c * duration for c in shifts if c * duration < duration]
        timeline = timeline.with_track(
            "topics",
            [
                TopicSegment(start=a, end=b, label=f"topic {i}", score=draw(st.floats(0, 1)))
                for i, (a, b) in enumerate(zip(starts, [*starts[1:], duration], strict=True))
            ],
        )
    return GeneratedTimeline(timeline, duration, " ".join(texts), sentences)


def assert_tiles(chunks: Sequence[Chunk], duration: float) -> None:
    """Chunks cover [0, duration] in order, with no gap and no overlap; ids and indexes stable."""
    assert chunks, "a chunker must return at least one chunk"
    assert chunks[0].start == 0.0
    assert chunks[-1].end == duration
    for i, chunk in enumerate(chunks):
        assert chunk.index == i and chunk.id == f"c{i:04d}"
        assert chunk.end > chunk.start or duration == 0
        assert chunk.opened_by.time == chunk.start and chunk.closed_by.time == chunk.end
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.end == b.start, f"gap or overlap between {a.id} and {b.id}"


def assert_words_once(chunks: Sequence[Chunk], generated: GeneratedTimeline) -> None:
    """Every transcript unit lands in exactly one chunk, in order, and no word is split: the
    chunks' texts, concatenated, are the transcript's text (whitespace normalised)."""
    rebuilt = join_words(" " + c.text for c in chunks)
    assert rebuilt == join_words(generated.text)


def assert_no_cut_inside_sentences(chunks: Sequence[Chunk], generated: GeneratedTimeline) -> None:
    """No cut falls inside a sentence, unless a duration/token bound forced it (and says so)."""
    for chunk in chunks[1:]:
        cut = chunk.start
        if FORCED_REASONS & {r.kind for r in chunk.opened_by.reasons}:
            continue
        for first, last in generated.sentences:
            assert not first < cut <= last, f"cut at {cut} splits the sentence {first}-{last}"


def assert_boundaries_explained(chunks: Sequence[Chunk]) -> None:
    """Every interior boundary says why it was placed."""
    for chunk in chunks[1:]:
        assert chunk.opened_by.reasons, f"the cut opening {chunk.id} at {chunk.start} has no reason"
