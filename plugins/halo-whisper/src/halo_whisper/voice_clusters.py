"""Extractor `voice-clusters`: offline diarization with Resemblyzer voice embeddings, clustered.

Why it requires the transcript: the runner orders stages by `requires`, and reading another
track that is not required would race with the stage producing it. With the transcript in hand,
the diarizer (1) embeds only stretches where the recogniser heard words, so silence, music and
noise never become a "speaker", and (2) labels each word, so turns start and end on word
boundaries. Turns are runs of consecutive words given the same voice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from halo_core import ComponentConfig, Extractor, Media, ModelCache, RunContext, Timeline

from .audio import SAMPLE_RATE, require_audio, stream_windows
from .diarization import DIARIZATION_REQUIRES, speech_words, turns_from_labels

_BATCH = 32
RELIABLE_S = 1.0  # seconds of speech an embedding must hold to shape the clusters
_encoders: ModelCache[str, Any] = ModelCache()


def voice_encoder() -> Any:
    """Resemblyzer's VoiceEncoder (weights ship in the wheel), built once per process."""

    def load() -> Any:
        from resemblyzer import VoiceEncoder

        return VoiceEncoder("cpu", verbose=False)

    return _encoders.get("cpu", load)


class VoiceClustersConfig(ComponentConfig):
    num_speakers: int | None = Field(
        default=None, ge=1, description="how many speakers; None estimates it"
    )
    max_speakers: int = Field(default=8, ge=1, description="upper bound when estimating")
    threshold: float = Field(
        default=0.35,
        gt=0,
        lt=2,
        description="cosine distance between voices above which they are different speakers (when "
        "estimating)",
    )
    method: Literal["agglomerative", "spectral"] = Field(
        default="agglomerative",
        description="agglomerative (average linkage) keeps a speaker who talks briefly, like a "
        "student's question; spectral copes better with quick back-and-forth of similar voices",
    )
    min_speaker_s: float = Field(
        default=1.0,
        ge=0,
        description="when estimating, a speaker heard for less than this in all is merged into "
        "the closest voice",
    )
    rate: float = Field(
        default=4.0,
        ge=0.7,
        le=20,
        description="voice embeddings per second of speech (each covers 1.6 s)",
    )
    region_gap_s: float = Field(
        default=0.25,
        ge=0,
        description="words closer than this form one stretch of speech that is embedded together",
    )
    turn_gap_s: float = Field(
        default=1.0,
        ge=0,
        description="a turn bridges pauses up to this long between words of one speaker",
    )


@dataclass(frozen=True)
class Partial:
    """One voice embedding over [start, end] of region `region`."""

    region: int
    start: float
    end: float


class VoiceClusters(Extractor[VoiceClustersConfig]):
    name = "voice-clusters"
    version = "1"
    Config = VoiceClustersConfig
    provides = "speakers"
    requires = DIARIZATION_REQUIRES
    media_needs = frozenset({"audio"})
    description = (
        "Who speaks when: Resemblyzer voice embeddings of the transcript's words, clustered."
    )

    def check(self) -> list[str]:
        import importlib.util

        missing = [m for m in ("resemblyzer", "sklearn") if importlib.util.find_spec(m) is None]
        if missing:
            return [
                f'voice-clusters needs {" and ".join(missing)}: pip install "halo-whisper[diarize]"'
            ]
        return []

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        require_audio(media, self.name)
        words = speech_words(timeline.track("transcript"))
        if not words:
            ctx.log.info("voice-clusters: the transcript has no words, so there are no speakers")
            return []
        regions = merge_spans([(w.start, w.end) for w in words], self.config.region_gap_s)
        partials, embeddings = self._embed(media, regions, ctx)
        labels = cluster_reliable_first(embeddings, partials, self.config)
        word_labels = label_words(words, regions, partials, labels)
        turns = turns_from_labels(words, word_labels, self.config.turn_gap_s)
        ctx.log.info(
            "voice-clusters: %d speakers, %d turns", len({t.speaker for t in turns}), len(turns)
        )
        return turns

    def _embed(
        self, media: Media, regions: list[tuple[float, float]], ctx: RunContext
    ) -> tuple[list[Partial], np.ndarray]:
        """Voice embeddings of 1.6 s partial utterances, `rate` per second, inside each region."""
        from resemblyzer.audio import wav_to_mel_spectrogram

        encoder = voice_encoder()
        partials: list[Partial] = []
        mels: list[np.ndarray] = []
        for window in stream_windows(media.path, 300.0, ctx.log):
            for index, (start, end) in enumerate(regions):
                start, end = max(start, window.offset), min(end, window.end)
                if end - start < 0.05:
                    continue
                first = int((start - window.offset) * SAMPLE_RATE)
                samples = window.samples[first : int((end - window.offset) * SAMPLE_RATE)]
                wav_slices, mel_slices = encoder.compute_partial_slices(
                    len(samples), self.config.rate, 0.75
                )
                padded = np.pad(samples, (0, max(0, wav_slices[-1].stop - len(samples))))
                mel = wav_to_mel_spectrogram(padded)
                for wav_slice, mel_slice in zip(wav_slices, mel_slices):
                    begin = min(end, start + wav_slice.start / SAMPLE_RATE)
                    partials.append(
                        Partial(index, begin, min(end, start + wav_slice.stop / SAMPLE_RATE))
                    )
                    mels.append(mel[mel_slice])
            if ctx.cancelled.is_set():
                break
            ctx.progress(min(window.end, media.duration), media.duration)
        return partials, embed_mels(encoder, mels)


def embed_mels(encoder: Any, mels: list[np.ndarray]) -> np.ndarray:
    """Run the encoder over partial-utterance mels in batches of one fixed size: PyTorch's CPU
    LSTM prepares kernels per input shape, so one shape per call keeps that cost to one batch."""
    import torch

    embeddings = []
    with torch.no_grad():
        for first in range(0, len(mels), _BATCH):
            batch = np.stack(mels[first : first + _BATCH])
            filled = np.zeros((_BATCH, *batch.shape[1:]), np.float32)
            filled[: len(batch)] = batch
            embeddings.append(encoder(torch.from_numpy(filled)).numpy()[: len(batch)])
    return np.concatenate(embeddings) if embeddings else np.zeros((0, 256), np.float32)


def merge_spans(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cluster_reliable_first(
    embeddings: np.ndarray, partials: list[Partial], config: VoiceClustersConfig
) -> np.ndarray:
    """Cluster the embeddings of at least `RELIABLE_S` of speech, then give each shorter one (a
    lone "Good question." is mostly zero padding, and such embeddings resemble each other more
    than their speakers) the speaker whose centroid it is closest to."""
    reliable = np.array([p.end - p.start >= RELIABLE_S for p in partials], bool)
    if reliable.sum() < 2:
        reliable[:] = True
    labels = np.full(len(partials), -1)
    labels[reliable] = cluster(embeddings[reliable], config)
    if config.num_speakers is None:
        labels[reliable] = absorb_brief_speakers(
            labels[reliable],
            embeddings[reliable],
            [p for p, r in zip(partials, reliable) if r],
            config.min_speaker_s,
        )
    speakers = sorted(set(labels[reliable].tolist()))
    centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in speakers])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    if (~reliable).any():
        labels[~reliable] = np.array(speakers)[
            np.argmax(embeddings[~reliable] @ centroids.T, axis=1)
        ]
    return labels


def cluster(embeddings: np.ndarray, config: VoiceClustersConfig) -> np.ndarray:
    """A speaker index per embedding. The number of speakers, when not given, is where average
    linkage on cosine distance stops merging (`threshold`), capped at `max_speakers`."""
    from sklearn.cluster import AgglomerativeClustering

    if len(embeddings) < 2:
        return np.zeros(len(embeddings), int)
    count = config.num_speakers
    if count is None:
        estimate = AgglomerativeClustering(
            n_clusters=None, distance_threshold=config.threshold, metric="cosine", linkage="average"
        ).fit_predict(embeddings)
        if estimate.max() == 0 and config.max_speakers > 1:
            estimate = _two_voices_or(estimate, embeddings)
        if config.method == "agglomerative" and estimate.max() < config.max_speakers:
            return estimate
        count = min(int(estimate.max()) + 1, config.max_speakers)
    count = min(count, len(embeddings))
    if count == 1:
        return np.zeros(len(embeddings), int)
    if config.method == "spectral":
        return spectral(embeddings, count)
    return AgglomerativeClustering(
        n_clusters=count, metric="cosine", linkage="average"
    ).fit_predict(embeddings)


SPLIT_MIN_EMBEDDINGS = 20
SPLIT_MIN_SHARE = 0.2
SPLIT_MIN_SILHOUETTE = 0.3


def _two_voices_or(one: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """Two speakers where the threshold saw one but the voices split in two substantial, well
    separated groups. Voices recorded in the same poor conditions (telephone speech) sit closer
    than the threshold, while one voice does not split evenly: a lone lecturer's best two-way
    split leaves a few percent on one side."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    if len(embeddings) < SPLIT_MIN_EMBEDDINGS:
        return one
    two = AgglomerativeClustering(n_clusters=2, metric="cosine", linkage="average").fit_predict(
        embeddings
    )
    share = np.bincount(two).min() / len(two)
    separated = silhouette_score(embeddings, two, metric="cosine") >= SPLIT_MIN_SILHOUETTE
    return two if share >= SPLIT_MIN_SHARE and separated else one


def absorb_brief_speakers(
    labels: np.ndarray, embeddings: np.ndarray, partials: list[Partial], min_seconds: float
) -> np.ndarray:
    """Give the embeddings of a "speaker" heard for less than `min_seconds` in all to the closest
    other speaker: a lone word's embedding is mostly padding, not a voice."""
    labels = labels.copy()
    while len(set(labels)) > 1:
        heard = {
            int(k): _seconds([p for p, mine in zip(partials, labels) if mine == k])
            for k in set(labels)
        }
        briefest = min(heard, key=lambda k: heard[k])
        if heard[briefest] >= min_seconds:
            break
        centroids = {k: embeddings[labels == k].mean(axis=0) for k in heard if k != briefest}
        mine = embeddings[labels == briefest].mean(axis=0)
        labels[labels == briefest] = max(centroids, key=lambda k: _cosine(centroids[k], mine))
    return labels


def _seconds(partials: list[Partial]) -> float:
    return sum(end - start for start, end in merge_spans([(p.start, p.end) for p in partials], 0))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def spectral(embeddings: np.ndarray, count: int, neighbours: int = 10) -> np.ndarray:
    """Spectral clustering on cosine affinities pruned to each embedding's nearest `neighbours`
    (the refinement of Wang et al., "Speaker diarization with LSTM", 2018)."""
    from sklearn.cluster import SpectralClustering

    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    affinity = np.clip(unit @ unit.T, 0, None)
    weakest = np.argsort(-affinity, axis=1)[:, min(neighbours, len(unit) - 1) + 1 :]
    np.put_along_axis(affinity, weakest, 0, axis=1)
    affinity = np.maximum(affinity, affinity.T)
    clustering = SpectralClustering(n_clusters=count, affinity="precomputed", random_state=0)
    with warnings.catch_warnings():
        # a pruned graph falls apart into one piece per voice: that is the point, not a problem
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        return clustering.fit_predict(affinity)


def label_words(
    words: list[Any],
    regions: list[tuple[float, float]],
    partials: list[Partial],
    labels: np.ndarray,
) -> list[int]:
    """Each word's speaker: its region's embeddings vote, weighted by how much of it they cover."""
    by_region: dict[int, list[int]] = {}
    for i, partial in enumerate(partials):
        by_region.setdefault(partial.region, []).append(i)
    starts = [r[0] for r in regions]
    result = []
    for word in words:
        region = int(np.searchsorted(starts, word.start, side="right")) - 1
        candidates = by_region.get(region) or list(range(len(partials)))
        votes: dict[int, float] = {}
        for i in candidates:
            p = partials[i]
            weight = max(0.0, min(word.end, p.end) - max(word.start, p.start))
            votes[int(labels[i])] = votes.get(int(labels[i]), 0.0) + weight
        if not any(votes.values()):
            nearest = min(
                candidates,
                key=lambda i: abs((partials[i].start + partials[i].end) / 2 - word.start),
            )
            votes = {int(labels[nearest]): 1.0}
        result.append(max(votes, key=lambda label: votes[label]))
    return result
