"""Extractor `voice-clusters`: offline diarization with Resemblyzer voice embeddings, clustered.

It listens to the audio alone (no transcript), so it runs beside ASR, not after it:

1. Silero voice activity detection (the model ships in faster-whisper) finds the speech, so
   silence, music and noise never become a "speaker".
2. Voice embeddings on short sliding windows over that speech (`window_s`, every `hop_s`), so a
   turn of a couple of seconds is heard on its own rather than averaged into its neighbours'.
3. Spectral clustering with the speaker count estimated from the eigengap (speaker_clustering.py),
   within `min_speakers`/`max_speakers`, or exactly `num_speakers`.
4. Re-segmentation: each speech frame takes the label of the nearest window, so turns change at
   half the hop; windows that sound like two speakers at once are marked overlapped speech.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import Field, model_validator

from halo_core import (
    ComponentConfig,
    Extractor,
    Media,
    MediaError,
    ModelCache,
    ModelRef,
    RunContext,
    SpeakerTurn,
    Timeline,
    release_freed_memory,
)

from .audio import SAMPLE_RATE, require_audio, silero_vad, stream_windows
from .diarization import DIARIZATION_REQUIRES, speaker_name
from .segmentation import Window, bridge, merge_close, resegment, sliding_windows
from .speaker_clustering import assign_to_centroids, centroids, cluster_speakers, unit

_BATCH = 32
_MEL_RATE = 100  # Resemblyzer mel frames per second
_TARGET_DBFS = -30.0  # Resemblyzer's training loudness
_encoders: ModelCache[str, Any] = ModelCache()
L = TypeVar("L", int, str)


def _load_encoder() -> Any:
    from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False)


ENCODER: ModelRef[str, Any] = ModelRef(_encoders, "cpu", _load_encoder)
"""Resemblyzer's VoiceEncoder (weights ship in the wheel)."""


def voice_encoder() -> Any:
    """Resemblyzer's VoiceEncoder, built once per process."""
    return ENCODER.load()


class VoiceClustersConfig(ComponentConfig):
    num_speakers: int | None = Field(
        default=None, ge=1, description="how many speakers; None estimates it"
    )
    min_speakers: int = Field(default=1, ge=1, description="lower bound when estimating")
    max_speakers: int = Field(default=8, ge=1, description="upper bound when estimating")
    window_s: float = Field(
        default=1.5,
        ge=0.5,
        le=4.0,
        description="seconds of speech per voice embedding: shorter hears shorter turns, longer "
        "tells similar voices apart more surely",
    )
    hop_s: float = Field(
        default=0.75, gt=0, description="seconds between embeddings; turns change at half of it"
    )
    vad_threshold: float = Field(
        default=0.5, gt=0, lt=1, description="Silero speech probability above which audio is speech"
    )
    min_speaker_s: float = Field(
        default=1.0,
        ge=0,
        description="when estimating, a speaker heard for less than this in all is merged into "
        "the closest voice",
    )
    turn_gap_s: float = Field(
        default=0.5, ge=0, description="a turn bridges pauses up to this long of one speaker"
    )
    names: dict[str, Path] = Field(
        default_factory=dict,
        description="enrolment: a speaker's name -> an audio file of that voice alone (a few "
        "seconds or more); a speaker who sounds like one is called by that name, others stay "
        "SPEAKER_nn",
    )
    overlap_margin: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="a window whose two closest speakers are within this cosine similarity of "
        "each other, between two turns of those speakers, is overlapped speech (0 = never mark)",
    )

    @model_validator(mode="after")
    def _bounds(self) -> VoiceClustersConfig:
        if self.min_speakers > self.max_speakers:
            raise ValueError(
                f"min_speakers ({self.min_speakers}) is above max_speakers ({self.max_speakers})"
            )
        if self.hop_s > self.window_s:
            raise ValueError(f"hop_s ({self.hop_s}) is longer than window_s ({self.window_s})")
        return self


class VoiceClusters(Extractor[VoiceClustersConfig]):
    name = "voice-clusters"
    version = "2"
    Config = VoiceClustersConfig
    provides = "speakers"
    requires = DIARIZATION_REQUIRES
    media_needs = frozenset({"audio"})
    description = (
        "Who speaks when: voice activity, Resemblyzer voice embeddings, spectral clustering."
    )

    def check(self) -> list[str]:
        import importlib.util

        missing = [m for m in ("resemblyzer", "sklearn") if importlib.util.find_spec(m) is None]
        if missing:
            return [
                f'voice-clusters needs {" and ".join(missing)}: pip install "halo-whisper[diarize]"'
            ]
        return enrolment_problems(self.config.names)

    def identity(self) -> dict[str, Any]:
        """The enrolment samples count by content, not by path."""
        return {**super().identity(), "enrolment": enrolment_identity(self.config.names)}

    def models(self) -> list[ModelRef[Any, Any]]:
        return [ENCODER]

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        require_audio(media, self.name)
        config = self.config
        regions, windows, embeddings = embed_speech(media.path, config, ctx, media.duration)
        if not windows:
            ctx.log.info("voice-clusters: no speech detected, so there are no speakers")
            return []
        labels = label_windows(windows, embeddings, config)
        second = overlapped(windows, embeddings, labels, config.overlap_margin)
        runs = bridge(resegment(windows, labels, regions, second), config.turn_gap_s)
        enrolled = {name: enrolled_voice(path, config, ctx) for name, path in config.names.items()}
        names = speaker_names(
            [label for _, _, label, _ in runs],
            dict(enumerate(centroids(embeddings, labels))),
            enrolled,
        )
        turns = [SpeakerTurn(start=s, end=e, speaker=names[k], overlap=o) for s, e, k, o in runs]
        ctx.log.info("voice-clusters: %d speakers, %d turns", len(names), len(turns))
        return turns


def embed_speech(
    path: Path, config: VoiceClustersConfig, ctx: RunContext, duration: float | None = None
) -> tuple[list[tuple[float, float]], list[Window], np.ndarray]:
    """Speech regions, the sliding windows over them, and one voice embedding per window
    (progress reported against `duration` when given).

    Each window is scaled to Resemblyzer's training loudness (its mel is power, so loudness would
    otherwise separate one voice near and far from the microphone). A window shorter than
    `window_s` is zero-padded in front: the encoder's last state, which is the embedding, then
    follows the speech rather than the padding."""
    silero = silero_vad()
    vad = silero.VadOptions(
        threshold=config.vad_threshold,
        min_speech_duration_ms=100,
        min_silence_duration_ms=250,
        speech_pad_ms=60,
    )
    regions: list[tuple[float, float]] = []
    windows: list[Window] = []
    embedded: list[np.ndarray] = []
    mels: list[np.ndarray] = []  # not embedded yet: fewer than one batch
    for chunk in stream_windows(path, 300.0, ctx.log):
        found = [
            (chunk.offset + s["start"] / SAMPLE_RATE, chunk.offset + s["end"] / SAMPLE_RATE)
            for s in silero.get_speech_timestamps(chunk.samples, vad)
        ]
        regions += found
        for window, mel in window_mels(chunk.samples, chunk.offset, found, config):
            windows.append(window)
            mels.append(mel)
        # whole batches now, so memory holds one embedding per window rather than its mel (the
        # batches are those one call over every mel would make: the same embeddings)
        whole = len(mels) - len(mels) % _BATCH
        if whole:
            embedded.append(embed_mels(voice_encoder(), mels[:whole]))
            del mels[:whole]
        release_freed_memory()  # the chunk's samples and spectrogram (glibc would keep them)
        if ctx.cancelled.is_set():
            break
        if duration:
            ctx.progress(min(chunk.end, duration), duration)
    if mels or not embedded:
        embedded.append(embed_mels(voice_encoder(), mels))
    return regions, windows, np.concatenate(embedded)


def window_mels(
    samples: np.ndarray,
    offset: float,
    speech: list[tuple[float, float]],
    config: VoiceClustersConfig,
) -> list[tuple[Window, np.ndarray]]:
    """The sliding windows over `speech` (seconds; `samples` start at `offset`) with the
    encoder's input for each: its mel, at training loudness, zero-padded in front to `window_s`.
    Silent windows are left out."""
    from resemblyzer.audio import wav_to_mel_spectrogram

    frames = int(round(config.window_s * _MEL_RATE))
    mel = wav_to_mel_spectrogram(samples)
    result = []
    for window in sliding_windows(speech, config.window_s, config.hop_s, config.hop_s):
        first = int(round((window.start - offset) * _MEL_RATE))
        part = mel[first : first + min(frames, int(round((window.end - window.start) * _MEL_RATE)))]
        loudness = float(part.sum(axis=1).mean()) if len(part) else 0.0
        if loudness > 0:
            part = part * (_target_power() / loudness)
            result.append((window, np.pad(part, ((frames - len(part), 0), (0, 0)))))
    return result


ENROLLED_MIN = 0.8
"""A speaker takes an enrolled name only when their mean voice is at least this alike (cosine) to
the enrolment sample's; below it the voice is nobody enrolled."""


def enrolment_problems(names: dict[str, Path]) -> list[str]:
    return [
        f"voice-clusters: the enrolment sample for {name!r} ({path}) does not exist: give the "
        "path of an audio file of that voice alone (relative to the working directory)"
        for name, path in names.items()
        if not Path(path).is_file()
    ]


def enrolment_identity(names: dict[str, Path]) -> dict[str, str]:
    """Name -> SHA-256 of its sample's bytes (the path alone would not notice a new recording)."""
    identity = {}
    for name, path in sorted(names.items()):
        digest = hashlib.sha256()
        with open(path, "rb") as sample:
            for block in iter(lambda: sample.read(1 << 20), b""):
                digest.update(block)
        identity[name] = digest.hexdigest()
    return identity


def enrolled_voice(path: Path, config: VoiceClustersConfig, ctx: RunContext) -> np.ndarray:
    """The mean voice embedding of an enrolment sample (all its speech)."""
    _, windows, embeddings = embed_speech(Path(path), config, ctx)
    if not windows:
        raise MediaError(
            "no speech found in the enrolment sample",
            where=str(path),
            fix="give a recording of the speaker talking for a few seconds or more",
        )
    return unit(embeddings.mean(axis=0))


def speaker_names(
    order: list[L], voices: dict[L, np.ndarray], enrolled: dict[str, np.ndarray]
) -> dict[L, str]:
    """A name per speaker label: enrolled names matched one-to-one to the speakers whose mean
    voice (`voices`, unit vectors) is most alike (at least `ENROLLED_MIN`), the others
    SPEAKER_00, SPEAKER_01, … in order of first appearance in `order`."""
    from scipy.optimize import linear_sum_assignment

    named: dict[L, str] = {}
    labels, people = list(voices), sorted(enrolled)
    if labels and people:
        likeness = np.array([[voices[k] @ enrolled[p] for p in people] for k in labels])
        for row, col in zip(*linear_sum_assignment(-likeness)):
            if likeness[row, col] >= ENROLLED_MIN:
                named[labels[row]] = people[col]
    unnamed = 0
    for label in order:
        if label not in named:
            named[label] = speaker_name(unnamed)
            unnamed += 1
    return named


def name_turns(
    turns: list[SpeakerTurn], samples: np.ndarray, names: dict[str, Path], ctx: RunContext
) -> list[SpeakerTurn]:
    """`turns` (of any diarizer, over 16 kHz `samples`) with each speaker renamed: an enrolled
    name where their voice matches one, else SPEAKER_nn by first appearance."""
    config = VoiceClustersConfig()
    voices: dict[str, np.ndarray] = {}
    for speaker in dict.fromkeys(t.speaker for t in turns):
        spans = merge_close([(t.start, t.end) for t in turns if t.speaker == speaker], 0.0)
        mels = [mel for _, mel in window_mels(samples, 0.0, spans, config)]
        if mels:
            voices[speaker] = unit(embed_mels(voice_encoder(), mels).mean(axis=0))
    enrolled = {name: enrolled_voice(path, config, ctx) for name, path in names.items()}
    renamed = speaker_names([t.speaker for t in turns], voices, enrolled)
    return [t.model_copy(update={"speaker": renamed[t.speaker]}) for t in turns]


@functools.cache
def _target_power() -> float:
    """Mean mel power per frame, as `wav_to_mel_spectrogram` measures it, of (seeded) white noise
    at Resemblyzer's training loudness."""
    from resemblyzer.audio import wav_to_mel_spectrogram

    rms = 10 ** (_TARGET_DBFS / 20)
    noise = np.random.default_rng(0).normal(0, rms, SAMPLE_RATE).astype(np.float32)
    return float(wav_to_mel_spectrogram(noise).sum(axis=1).mean())


def embed_mels(encoder: Any, mels: list[np.ndarray]) -> np.ndarray:
    """Run the encoder over equal-length mels in batches of one fixed size: PyTorch's CPU LSTM
    prepares kernels per input shape, so one shape per call keeps that cost to one batch.

    On one torch thread: diarization runs beside ASR, which keeps the cores busy, and a second
    intra-op thread only spins against it (measured on 2 busy cores: 9-14 s per batch on two
    threads, 0.9 s on one). The process-wide setting is restored afterwards."""
    import torch

    embeddings = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for first in range(0, len(mels), _BATCH):
                batch = np.stack(mels[first : first + _BATCH])
                filled = np.zeros((_BATCH, *batch.shape[1:]), np.float32)
                filled[: len(batch)] = batch
                embeddings.append(encoder(torch.from_numpy(filled)).numpy()[: len(batch)])
    finally:
        torch.set_num_threads(threads)
    return np.concatenate(embeddings) if embeddings else np.zeros((0, 256), np.float32)


RELIABLE_SHARE = 0.66
"""A window shaping the clusters holds at least this share of `window_s` of speech: a lone
"Yeah." is mostly padding, and such embeddings resemble each other more than their speakers."""


def label_windows(
    windows: list[Window], embeddings: np.ndarray, config: VoiceClustersConfig
) -> np.ndarray:
    """A speaker index per window: the windows with enough speech are clustered, the others join
    the speaker whose centroid is closest."""
    reliable = np.array([w.speech >= RELIABLE_SHARE * config.window_s for w in windows], bool)
    if reliable.sum() < 2:
        reliable[:] = True
    labels = np.full(len(windows), -1)
    labels[reliable] = cluster_speakers(
        embeddings[reliable],
        config.num_speakers,
        config.min_speakers,
        config.max_speakers,
        config.hop_s,
    )
    if config.num_speakers is None:
        labels[reliable] = absorb_brief_speakers(
            labels[reliable],
            embeddings[reliable],
            [w for w, r in zip(windows, reliable) if r],
            max(config.min_speaker_s, 0.0),
            config.min_speakers,
        )
    _, labels[reliable] = np.unique(labels[reliable], return_inverse=True)
    centres = centroids(embeddings[reliable], labels[reliable])
    if (~reliable).any():
        labels[~reliable] = assign_to_centroids(embeddings[~reliable], centres)
    return labels


def absorb_brief_speakers(
    labels: np.ndarray,
    embeddings: np.ndarray,
    windows: list[Window],
    min_seconds: float,
    min_speakers: int = 1,
) -> np.ndarray:
    """Give the windows of a "speaker" heard for less than `min_seconds` in all to the closest
    other speaker (never going below `min_speakers`): a few stray windows are not a voice."""
    labels = labels.copy()
    while len(set(labels.tolist())) > max(1, min_speakers):
        heard = {
            int(k): _seconds([w for w, mine in zip(windows, labels) if mine == k])
            for k in set(labels.tolist())
        }
        briefest = min(heard, key=lambda k: (heard[k], k))
        if heard[briefest] >= min_seconds:
            break
        others = [k for k in sorted(heard) if k != briefest]
        centres = unit(np.stack([embeddings[labels == k].mean(axis=0) for k in others]))
        mine = unit(embeddings[labels == briefest].mean(axis=0, keepdims=True))
        labels[labels == briefest] = others[int(np.argmax(centres @ mine[0]))]
    return labels


def _seconds(windows: list[Window]) -> float:
    """Seconds covered by the union of the windows."""
    total, reach = 0.0, -np.inf
    for w in sorted(windows, key=lambda w: w.start):
        total += max(0.0, w.end - max(w.start, reach))
        reach = max(reach, w.end)
    return total


def overlapped(
    windows: list[Window], embeddings: np.ndarray, labels: np.ndarray, margin: float
) -> list[int | None]:
    """For each window, the second speaker heard in it, or None.

    A window is overlapped speech when its two closest speakers are within `margin` cosine
    similarity of each other and the window lies between turns of both (its neighbours carry the
    two labels): two voices at once sound like neither, halfway between them."""
    second: list[int | None] = [None] * len(windows)
    if margin <= 0 or labels.max(initial=0) < 1:
        return second
    centres = centroids(embeddings, labels)
    similarity = unit(embeddings) @ centres.T
    ranked = np.argsort(-similarity, axis=1)
    for i in range(1, len(windows) - 1):
        best, runner = int(ranked[i, 0]), int(ranked[i, 1])
        if similarity[i, best] - similarity[i, runner] > margin:
            continue
        if {int(labels[i - 1]), int(labels[i + 1])} | {int(labels[i])} >= {best, runner}:
            second[i] = runner if int(labels[i]) == best else best
    return second
