"""Synthetic signal timelines for training without videos.

A synthetic lecture is a sequence of topics; each topic is spoken as sentences drawn from its own
vocabulary, a lecture-wide jargon pool and shared function words, so any text embedder sees topic
structure — blurred as much as the lecture's topics overlap. Around it: pauses, slide cuts, several
speakers and a noisy topics track: the kinds of evidence, with the kinds of noise, that real
extractors produce.

Every lecture draws its own `Style` from its seed, and the styles are deliberately wider than the
lectures HALO is judged on, so that no single cue can be trusted everywhere: topics of 25 s to
4 min; pauses between topics that are clearly longer than within them, or not at all; slide decks
whose every change is as strong as a topic change, or whose topic changes show no slide change at
all, or no video; a lecturer with students, a panel talking over each other, or one presenter per
topic; a good, a poor or no topics track; review passes that return to a topic after a pause;
transcripts with word timings, or only sentence cues (as subtitles give).
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


@dataclass(frozen=True)
class Style:
    """How one synthetic lecture looks: every field is drawn from the lecture's seed."""

    topic_seconds: float
    """mean topic length (each topic's varies around it)"""
    words_per_second: float
    intra_pause: tuple[float, float]
    """range of the silence between sentences of one topic (s)"""
    inter_pause: tuple[float, float]
    """range of the silence before a new topic: longer than `intra_pause`, or the same"""
    slide_rate: float
    """slide changes per second inside a topic"""
    slide_strength: float
    """scene-cut strength of a slide change inside a topic"""
    topic_cut_strength: float
    topic_cut_chance: float
    """how often a new topic shows a slide change at all"""
    scenes: bool
    """whether there is a scenes track (no video, or a talking head, has none)"""
    topic_noise: float | None
    """0: a near-perfect topics track, 1: a poor one, None: no topics track"""
    speakers: str
    """`lecture` (a lecturer, students now and then), `panel` (speakers take turns at random),
    `presenters` (one presenter per topic)"""
    student_rate: float
    speaker_labels: bool
    """whether speakers are known at all (subtitles, or no diarization, give none)"""
    topic_words: float
    """share of a sentence's words from its topic's vocabulary: how clearly the text tells
    topics apart"""
    vocabulary: int
    """distinct words of each topic"""
    general_words: float
    """share of a sentence's words from the lecture's general vocabulary (every topic uses it)"""
    overlap: float
    """share of each topic's own words drawn from a lecture-wide jargon pool instead"""
    review_chance: float
    """chance a topic returns to its start after a pause (a review pass, not a new topic)"""
    word_timings: bool
    """words with times (as ASR gives), or only sentence cues (as subtitles give)"""

    @classmethod
    def draw(cls, rng: random.Random) -> Style:
        intra_high = rng.uniform(0.5, 1.3)
        pause_cue = rng.random() < 0.75
        inter_low = rng.uniform(0.9, 1.8) if pause_cue else 0.2
        inter_high = inter_low + rng.uniform(0.5, 1.5) if pause_cue else intra_high
        return cls(
            topic_seconds=rng.uniform(35, 180),
            words_per_second=rng.uniform(2.0, 3.2),
            intra_pause=(rng.uniform(0.1, 0.3), intra_high),
            inter_pause=(inter_low, inter_high),
            slide_rate=rng.uniform(1 / 120, 1 / 20),
            slide_strength=rng.uniform(0.05, 1.0),
            topic_cut_strength=rng.uniform(0.4, 1.0),
            topic_cut_chance=1.0 if rng.random() < 0.7 else rng.uniform(0.0, 1.0),
            scenes=rng.random() < 0.85,
            topic_noise=rng.uniform(0.0, 1.0) if rng.random() < 0.85 else None,
            speakers=rng.choices(("lecture", "panel", "presenters"), (0.6, 0.2, 0.2))[0],
            student_rate=rng.uniform(0.0, 0.5),
            speaker_labels=rng.random() < 0.7,
            topic_words=rng.uniform(0.15, 0.45),
            vocabulary=rng.randint(30, 150),
            general_words=rng.uniform(0.1, 0.35),
            overlap=rng.uniform(0.0, 0.5),
            review_chance=rng.uniform(0.0, 0.6),
            word_timings=rng.random() < 0.5,
        )


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _sentence_words(
    rng: random.Random, style: Style, vocabulary: list[str], lecture: list[str], jargon: list[str]
) -> list[str]:
    words = []
    for _ in range(rng.randint(6, 20)):
        draw = rng.random()
        if draw < style.topic_words:
            words.append(rng.choice(jargon if rng.random() < style.overlap else vocabulary))
        elif draw < style.topic_words + style.general_words:
            words.append(rng.choice(lecture))
        else:
            words.append(rng.choice(SHARED_WORDS))
    words[-1] += "."
    return words


class _Speech:
    """Accumulates sentences, with their words, speakers and turns, as they are spoken."""

    def __init__(self, rng: random.Random, style: Style) -> None:
        self.rng, self.style = rng, style
        self.segments: list[TranscriptSegment] = []
        self.turns: list[SpeakerTurn] = []

    def say(self, t: float, words: list[str], speaker: str) -> float:
        """Speak `words` from `t`; returns when the sentence ends."""
        rng, start, timed = self.rng, t, []
        for text in words:
            duration = (len(text) / 6) / self.style.words_per_second * rng.uniform(0.8, 1.2)
            word = Word(start=round(t, 3), end=round(t + duration, 3), text=" " + text,
                        speaker=speaker)  # with its space, as a recogniser gives it  # fmt: skip
            timed.append(word)
            t += duration + rng.uniform(0.0, 0.08)
        end = timed[-1].end
        if not self.style.speaker_labels:
            timed = [word.model_copy(update={"speaker": None}) for word in timed]
        self.segments.append(
            TranscriptSegment(
                start=round(start, 3),
                end=end,
                text=" ".join(words),
                words=timed if self.style.word_timings else [],
                speaker=speaker if self.style.speaker_labels else None,
            )
        )
        if self.turns and self.turns[-1].speaker == speaker:
            self.turns[-1] = self.turns[-1].model_copy(update={"end": end})
        else:
            self.turns.append(SpeakerTurn(start=round(start, 3), end=end, speaker=speaker))
        return end


def generate(
    seed: int, *, topics: int | None = None, minutes: float | None = None
) -> SyntheticLecture:
    """A reproducible synthetic lecture (same seed, same lecture)."""
    rng = random.Random(seed)
    style = Style.draw(rng)
    topic_count = topics or rng.randint(3, 14)
    lengths = [style.topic_seconds * rng.lognormvariate(0, 0.35) for _ in range(topic_count)]
    lengths = [min(max(length, 25.0), 240.0) for length in lengths]
    scale = (minutes * 60 / sum(lengths)) if minutes else 1.0
    presenters = [f"presenter {k}" for k in range(rng.randint(2, 4))]
    jargon = _vocabulary(rng, 30)
    general = _vocabulary(rng, 200)
    speech = _Speech(rng, style)
    cuts: list[tuple[float, float]] = [(0.0, 1.0)]
    topic_starts: list[float] = []
    reviews: list[float] = []
    speaker = presenters[0] if style.speakers == "presenters" else "lecturer"
    t = rng.uniform(1.0, 6.0)  # a title card
    for index, length in enumerate(lengths):
        vocabulary = _vocabulary(rng, style.vocabulary)
        if index:
            pause = rng.uniform(*style.inter_pause)
            boundary = t + pause * rng.uniform(0.3, 0.7)
            topic_starts.append(boundary)
            if style.speakers == "presenters" and rng.random() < 0.8:
                speaker = rng.choice([p for p in presenters if p != speaker])
            if rng.random() < style.topic_cut_chance:
                cuts.append((boundary, _strength(rng, style.topic_cut_strength)))
            t += pause
        end_of_topic = t + length * scale
        student_at = rng.uniform(t, end_of_topic) if rng.random() < style.student_rate else None
        review_at = (
            rng.uniform(t + 20, end_of_topic) if rng.random() < style.review_chance else None
        )
        next_slide = t + rng.expovariate(style.slide_rate)
        while t < end_of_topic:
            if student_at is not None and t >= student_at and style.speakers == "lecture":
                for _ in range(rng.randint(1, 3)):  # a question, then the lecturer again
                    t = speech.say(
                        t, _sentence_words(rng, style, vocabulary, general, jargon), "student"
                    )
                    t += rng.uniform(*style.intra_pause)
                student_at = None
            if style.speakers == "panel" and rng.random() < 0.3:
                speaker = rng.choice(presenters)
            words = _sentence_words(rng, style, vocabulary, general, jargon)
            t = speech.say(t, words, speaker) + rng.uniform(*style.intra_pause)
            if review_at is not None and t >= review_at and t < end_of_topic - 10:
                # "let us go over this again": a longer pause and a new slide, the same topic
                reviews.append(t)
                t += rng.uniform(*style.inter_pause)
                cuts.append((t - 0.3, _strength(rng, style.slide_strength)))
                review_at = None
            elif t >= next_slide and t < end_of_topic:
                cuts.append((t - rng.uniform(0.05, 0.2), _strength(rng, style.slide_strength)))
                next_slide = t + rng.expovariate(style.slide_rate)
    duration = t + rng.uniform(1.0, 3.0)
    timeline = Timeline(duration=duration)
    timeline = timeline.with_track("transcript", speech.segments)
    if style.speaker_labels:
        timeline = timeline.with_track("speakers", speech.turns)
    if style.scenes:
        timeline = timeline.with_track("scenes", _scenes(cuts, duration))
    if style.topic_noise is not None:
        topics_track = _noisy_topics(rng, topic_starts, reviews, duration, style.topic_noise)
        timeline = timeline.with_track("topics", topics_track)
    return SyntheticLecture(timeline=timeline, topic_starts=topic_starts)


def _strength(rng: random.Random, mean: float) -> float:
    return min(1.0, max(0.05, rng.gauss(mean, 0.1)))


def _scenes(cuts: list[tuple[float, float]], duration: float) -> list[Scene]:
    cuts = sorted(cuts)
    bounds = [c for c, _ in cuts] + [duration]
    return [
        Scene(
            start=round(start, 3),
            end=round(bounds[i + 1], 3),
            score=score,
            keyframe=round((start + bounds[i + 1]) / 2, 3),
        )
        for i, (start, score) in enumerate(cuts)
        if bounds[i + 1] > start
    ]


def _noisy_topics(
    rng: random.Random, truth: list[float], reviews: list[float], duration: float, noise: float
) -> list[TopicSegment]:
    """A topics track as an imperfect segmenter gives: jittered, missed and false shifts (false
    ones most likely where a topic is reviewed)."""
    shifts = [
        (b + rng.gauss(0, 0.5 + 5 * noise), rng.uniform(0.4, 1.0))
        for b in truth
        if rng.random() > 0.3 * noise
    ]
    shifts += [(r, rng.uniform(0.2, 0.8)) for r in reviews if rng.random() < noise]
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
