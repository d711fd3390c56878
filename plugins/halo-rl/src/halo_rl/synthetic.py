"""Synthetic signal timelines for training without videos.

A synthetic lecture is a sequence of topics; each topic is spoken as sentences drawn from its own
vocabulary mixed with shared function words, so any text embedder sees topic structure. Around it:
pauses (longer, but not always, between topics), slide cuts (at most topic starts, and at random
inside topics), a second speaker now and then, and a noisy topics track (shifted, missed and false
boundaries) — the kinds of evidence, with the kinds of noise, that real extractors produce.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from halo_core import Scene, SpeakerTurn, Timeline, TopicSegment, TranscriptSegment, Word

SHARED_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "it",
    "for",
    "as",
    "with",
    "was",
    "on",
    "this",
    "are",
    "by",
    "be",
    "from",
    "at",
    "or",
    "which",
    "we",
    "an",
    "can",
    "also",
    "these",
    "their",
    "has",
    "have",
    "but",
    "not",
    "its",
    "more",
    "when",
    "into",
    "so",
    "one",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "su",
    "ta",
    "ri",
    "vo",
    "pe",
    "zu",
    "ga",
    "di",
    "fo",
    "le",
    "mu",
    "sa",
    "te",
    "bi",
    "no",
    "ru",
]


@dataclass(frozen=True)
class SyntheticLecture:
    timeline: Timeline
    topic_starts: list[float]
    """True topic boundaries (starts of every topic after the first)."""


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _sentence_words(rng: random.Random, vocabulary: list[str]) -> list[str]:
    count = rng.randint(7, 18)
    words = [
        rng.choice(vocabulary) if rng.random() < 0.45 else rng.choice(SHARED_WORDS)
        for _ in range(count)
    ]
    words[-1] += "."
    return words


def generate(
    seed: int, *, topics: int | None = None, minutes: float | None = None
) -> SyntheticLecture:
    """A reproducible synthetic lecture (same seed, same lecture)."""
    rng = random.Random(seed)
    topic_count = topics or rng.randint(3, 10)
    topic_lengths = [rng.uniform(40, 150) for _ in range(topic_count)]  # seconds, as in lectures
    scale = (minutes * 60 / sum(topic_lengths)) if minutes else 1.0
    words_per_second = rng.uniform(2.2, 3.0)
    intra_pause = (0.2, rng.uniform(0.6, 1.2))
    inter_pause = (rng.uniform(0.8, 1.5), rng.uniform(1.6, 3.0))
    slide_rate = rng.uniform(1 / 90, 1 / 25)  # slide changes per second inside a topic
    # How strongly a slide change inside a topic shows: barely (text-only changes) to as strongly
    # as a topic change (high-contrast decks): scene evidence alone must not be trusted.
    slide_strength = rng.uniform(0.1, 0.9)
    topic_noise = rng.uniform(0.0, 1.0)  # 0: a near-perfect topics track, 1: a poor one
    student_rate = rng.uniform(0.0, 0.4)  # chance a topic contains a student exchange

    segments: list[TranscriptSegment] = []
    cuts: list[tuple[float, float]] = [(0.0, 1.0)]
    turns: list[SpeakerTurn] = []
    topic_starts: list[float] = []
    t = rng.uniform(1.0, 3.0)
    for index, length in enumerate(topic_lengths):
        vocabulary = _vocabulary(rng, 40)
        if index:
            t += rng.uniform(*inter_pause)
            topic_starts.append(t)
            cuts.append((t, rng.uniform(max(slide_strength, 0.5), 1.0)))
        end_of_topic = t + length * scale
        student_at = rng.uniform(t, end_of_topic) if rng.random() < student_rate else None
        next_slide = t + rng.expovariate(slide_rate)
        while t < end_of_topic:
            speaker = "lecturer"
            if student_at is not None and t >= student_at:
                speaker, student_at = "student", None
            words = _sentence_words(rng, vocabulary)
            start = t
            timed: list[Word] = []
            for text in words:
                duration = (len(text) / 6) / words_per_second * rng.uniform(0.8, 1.2)
                timed.append(
                    Word(start=round(t, 3), end=round(t + duration, 3), text=text, speaker=speaker)
                )
                t += duration + rng.uniform(0.0, 0.08)
            segments.append(
                TranscriptSegment(
                    start=round(start, 3),
                    end=timed[-1].end,
                    text=" ".join(words),
                    words=timed,
                    speaker=speaker,
                )
            )
            if not turns or turns[-1].speaker != speaker:
                turns.append(SpeakerTurn(start=round(start, 3), end=timed[-1].end, speaker=speaker))
            else:
                turns[-1] = turns[-1].model_copy(update={"end": timed[-1].end})
            t = timed[-1].end + rng.uniform(*intra_pause)
            if t >= next_slide and t < end_of_topic:
                strength = min(1.0, max(0.05, rng.gauss(slide_strength, 0.1)))
                cuts.append((t - rng.uniform(0.05, 0.2), strength))
                next_slide = t + rng.expovariate(slide_rate)
    duration = t + rng.uniform(1.0, 3.0)
    timeline = Timeline(duration=duration)
    timeline = timeline.with_track("transcript", segments)
    timeline = timeline.with_track("speakers", turns)
    timeline = timeline.with_track("scenes", _scenes(cuts, duration))
    timeline = timeline.with_track(
        "topics", _noisy_topics(rng, topic_starts, duration, topic_noise)
    )
    return SyntheticLecture(timeline=timeline, topic_starts=topic_starts)


def _scenes(cuts: list[tuple[float, float]], duration: float) -> list[Scene]:
    bounds = [c for c, _ in cuts] + [duration]
    return [
        Scene(
            start=round(start, 3),
            end=round(bounds[i + 1], 3),
            score=score,
            keyframe=round((start + bounds[i + 1]) / 2, 3),
        )
        for i, (start, score) in enumerate(cuts)
    ]


def _noisy_topics(
    rng: random.Random, truth: list[float], duration: float, noise: float
) -> list[TopicSegment]:
    """A topics track as an imperfect segmenter gives: jittered, missed and false shifts."""
    shifts = [
        (b + rng.gauss(0, 0.5 + 5 * noise), rng.uniform(0.4, 1.0))
        for b in truth
        if rng.random() > 0.3 * noise
    ]
    false_count = rng.randint(0, round(noise * len(truth)))
    shifts += [(rng.uniform(0, duration), rng.uniform(0.1, 0.6)) for _ in range(false_count)]
    starts = sorted((min(max(s, 1.0), duration - 1.0), score) for s, score in shifts)
    bounds = [0.0] + [s for s, _ in starts] + [duration]
    scores = [1.0] + [score for _, score in starts]
    return [
        TopicSegment(
            start=round(bounds[i], 3),
            end=round(bounds[i + 1], 3),
            label=f"topic {i + 1}",
            score=scores[i],
        )
        for i in range(len(bounds) - 1)
        if bounds[i + 1] > bounds[i]
    ]
