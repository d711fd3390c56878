"""HALO's data model: what extractors, chunkers and LLM backends exchange, and what runs write.

Every model here is pydantic v2 and serializes to JSON; `halo schema` writes their JSON Schemas
to `specs/`, and a test fails when the committed schemas drift from these classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .times import Seconds

SCHEMA_VERSION = 1

JSONValue = Any  # JSON-safe value: None, bool, int, float, str, list, dict of these


class Model(BaseModel):
    """Base for every HALO model: unknown fields are errors, not silently kept."""

    model_config = ConfigDict(extra="forbid")


# --- media -------------------------------------------------------------------------------------


class Stream(Model):
    index: int
    kind: Literal["video", "audio", "subtitle", "data"]
    codec: str | None = None
    language: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frames: int | None = None
    sample_rate: int | None = None
    channels: int | None = None


class Media(Model):
    """One input file, identified by the SHA-256 of its bytes (streamed, never read whole)."""

    path: Path
    sha256: str
    size_bytes: int
    duration: Seconds = Field(ge=0, description="seconds")
    streams: list[Stream] = []
    title: str | None = Field(default=None, description="the container's title tag, if any")

    @property
    def has_video(self) -> bool:
        return any(s.kind == "video" for s in self.streams)

    @property
    def has_audio(self) -> bool:
        return any(s.kind == "audio" for s in self.streams)

    @property
    def video(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> Stream | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


# --- signals -----------------------------------------------------------------------------------


class Span(Model):
    start: Seconds = Field(ge=0, description="seconds from the start of the media")
    end: Seconds = Field(ge=0, description="seconds from the start of the media")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    @property
    def duration(self) -> float:
        return self.end - self.start


class Word(Span):
    """One recognised word. Its `text` keeps the whitespace before it, as the recogniser gave it:
    " anti" then "-parallel." (no space: the same written word continues), " 1" then ",450".
    `halo_core.text.join_words` rebuilds the text as it was said from such words; the first word
    of a segment is always a new word, with or without its space."""

    text: str = Field(
        description="the word with the whitespace before it (' moon', \"'s\", '-parallel.')"
    )
    confidence: float | None = None
    speaker: str | None = None


class TranscriptSegment(Span):
    """A stretch of speech, usually one sentence or ASR segment."""

    kind: Literal["transcript"] = "transcript"
    text: str
    words: list[Word] = []
    confidence: float | None = None
    speaker: str | None = None
    language: str | None = None


class SpeakerTurn(Span):
    kind: Literal["speaker"] = "speaker"
    speaker: str
    overlap: bool = Field(
        default=False, description="another speaker talks at the same time throughout this turn"
    )


Transition = Literal["cut", "fade"]


class Scene(Span):
    """A shot or slide: `start` is the cut that opens it (0 for the first scene)."""

    kind: Literal["scene"] = "scene"
    score: float = Field(default=1.0, description="cut strength in [0, 1]; 1 for the first scene")
    keyframe: Seconds = Field(description="time of a representative frame")
    keyframe_path: str | None = None
    transition: Transition | None = Field(
        default=None,
        description="how the scene begins, when the detector tells: `cut` (a hard cut), `fade` "
        "(through black); None for the first scene and when it does not tell (slides)",
    )


class TopicSegment(Span):
    kind: Literal["topic"] = "topic"
    label: str
    score: float = Field(default=1.0, description="strength of the shift that opens this topic")


class SlideLine(Model):
    """One line of text read on a slide."""

    text: str
    box: tuple[float, float, float, float] = Field(
        description="x0, y0, x1, y1 as fractions of the frame's width and height"
    )
    confidence: float = Field(ge=0, le=1, description="the OCR engine's confidence")
    role: Literal["heading", "body"] = Field(
        default="body", description="heading: the slide's title (larger text at its top)"
    )


class SlideText(Span):
    """The text of one slide, as long as it stays on screen (one read per steady stretch)."""

    kind: Literal["slide_text"] = "slide_text"
    text: str = Field(description="every kept line in reading order, one per line")
    heading: str = Field(default="", description="the heading lines, joined by a space")
    lines: list[SlideLine] = []
    frame_time: float | None = Field(
        default=None, ge=0, description="seconds: the frame that was read"
    )


class Signal(Span):
    """A generic signal for kinds the core does not model (third-party extractors)."""

    kind: Literal["signal"] = "signal"
    label: str = ""
    value: float | None = None
    data: dict[str, JSONValue] = {}


Segment = Annotated[
    TranscriptSegment | SpeakerTurn | Scene | TopicSegment | SlideText | Signal,
    Field(discriminator="kind"),
]


class Timeline(Model):
    """The signal tracks of one media file, keyed by what an extractor `provides`."""

    duration: Seconds = Field(ge=0)
    tracks: dict[str, list[Segment]] = {}

    def track(self, kind: str) -> list[Any]:
        return self.tracks.get(kind, [])

    def with_track(self, kind: str, segments: list[Any]) -> Timeline:
        tracks = dict(self.tracks)
        tracks[kind] = sorted(segments, key=lambda s: (s.start, s.end))
        return self.model_copy(update={"tracks": tracks})


# --- chunks ------------------------------------------------------------------------------------

BoundaryReasonKind = Literal[
    "start", "end", "scene", "speaker", "topic", "pause", "max_duration", "max_tokens", "fixed"
]


class BoundaryReason(Model):
    kind: BoundaryReasonKind
    score: float = Field(description="this signal's evidence for the cut, in [0, 1]")
    detail: str = ""


class Boundary(Model):
    time: Seconds = Field(ge=0)
    score: float = Field(default=0.0, description="weighted evidence for the cut")
    reasons: list[BoundaryReason] = []


class Chunk(Span):
    id: str
    index: int = Field(ge=0)
    text: str = ""
    opened_by: Boundary
    closed_by: Boundary
    token_estimate: int = Field(ge=0)
    speakers: list[str] = []
    scene_cuts: list[Seconds] = []
    topics: list[str] = []
    word_count: int = 0


# --- LLM -------------------------------------------------------------------------------------


class MediaClip(Model):
    """A stretch of the media an LLM may look at directly (video-capable backends)."""

    path: Path
    sha256: str
    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)


class ChunkSetting(Model):
    """How one chunk's summary request reads the chunk: the transcript, or the video clip at a
    frame rate and media resolution; on which model. A cost planner (`chunk_plan.py`) chooses
    one per chunk; a backend honours it over its own configuration (`LLMRequest.setting`)."""

    mode: Literal["transcript", "video"]
    model: str
    fps: float | None = Field(default=None, gt=0, description="frames per second (video only)")
    media_resolution: Literal["low", "medium", "default"] | None = Field(
        default=None, description="video only"
    )

    def label(self) -> str:
        """`video default 1 fps` / `transcript` (the model is shown apart)."""
        if self.mode == "transcript":
            return "transcript"
        return f"video {self.media_resolution or 'default'} {self.fps or 1:g} fps"


class CostLadder(Model):
    """What a backend lets a cost planner choose per chunk (`LLMBackend.cost_ladder`)."""

    settings: list[ChunkSetting] = Field(
        description="the settings a chunk may get; the first is the cheapest, on the light model "
        "(any other model counts as stronger)"
    )
    budget_usd: float = Field(ge=0, description="the run's max_cost_usd")
    priced_on: str = Field(description="the day whose prices apply (ISO date)")
    calls_in_flight: int = Field(
        default=1, ge=1, description="calls the run makes at once (the budget stop holds each "
        "one's worst case while it runs)"
    )


class LLMRequest(Model):
    task: str = Field(description="what the call is for: summarize, answer, rewrite, …")
    prompt: str
    system: str | None = None
    context: str = Field(default="", description="text the answer must come from")
    clips: list[MediaClip] = []
    model: str | None = Field(default=None, description="override the backend's default model")
    setting: ChunkSetting | None = Field(
        default=None, description="a planner's choice for this request (mode, fps, media "
        "resolution, model) over the backend's own configuration"
    )
    max_output_tokens: int | None = None
    temperature: float = 0.0
    options: dict[str, JSONValue] = {}


class Usage(Model):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = Field(default=0, description="part of input_tokens served from a cache")
    thoughts_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            thoughts_tokens=self.thoughts_tokens + other.thoughts_tokens,
        )


class LLMResponse(Model):
    text: str
    model: str
    usage: Usage = Usage()
    cost_usd: float = 0.0
    cache_tier: Literal["l1", "l2", "l3"] | None = Field(
        default=None, description="the cache tier that answered, or None for a real call"
    )


# --- outputs -----------------------------------------------------------------------------------


class Summary(Model):
    level: Literal["chunk", "section", "video"]
    id: str
    start: Seconds
    end: Seconds
    text: str
    key_points: list[str] = []
    children: list[str] = Field(default=[], description="ids one level down")
    title: str = ""
    cost_usd: float | None = Field(
        default=None, description="what the LLM call that wrote it cost ($0 when a cache answered)"
    )


class Summaries(Model):
    schema_version: int = SCHEMA_VERSION
    media: str
    chunks: list[Summary] = []
    sections: list[Summary] = []
    video: Summary | None = None


class Citation(Model):
    """A cited time range; in a library also the video (those fields are left out otherwise)."""

    chunk_id: str
    start: Seconds
    end: Seconds
    slide: str | None = Field(
        default=None, description="the heading of the slide the cited text was read from"
    )
    video_id: str | None = Field(
        default=None,
        description="in a library: the cited video's id (`halo library list`)",
        exclude_if=lambda v: v is None,
    )
    video_title: str | None = Field(default=None, exclude_if=lambda v: v is None)
    video_file: str | None = Field(
        default=None,
        description="in a library: the video's media file",
        exclude_if=lambda v: v is None,
    )


class Answer(Model):
    question: str
    answer: str
    citations: list[Citation] = []
    usage: Usage = Usage()
    cost_usd: float = 0.0
    cache_tier: Literal["l1", "l2", "l3"] | None = None
    naive_input_tokens: int = Field(
        default=0, description="input tokens of sending the whole transcript with the question"
    )


class StageReport(Model):
    stage: str
    component: str
    distribution: str
    reused: bool = Field(description="true when a stored artifact was reused")
    wall_s: float
    started_s: float | None = Field(
        default=None, description="when the stage started, in seconds after the run's start"
    )
    ended_s: float | None = Field(
        default=None, description="when the stage ended, in seconds after the run's start"
    )
    real_time_factor: float | None = Field(
        default=None, description="media seconds processed per wall second"
    )
    peak_rss_mb: float | None = None


class SkippedExtractor(Model):
    """An extractor a run left out because the input cannot feed it (an audio file has no
    video for `scenedetect`; `slides` then has no scenes to read)."""

    extractor: str = Field(description="the extractor's name, as the spec's `use:`")
    track: str = Field(description="the track it would have provided")
    missing: str = Field(description="what the input lacks: `audio stream`, `video stream`, "
                                     "or `<name> track` (a track whose extractor was skipped)")
    reason: str = Field(description="why, in one sentence")

    @property
    def notice(self) -> str:
        """The one line a run shows (progress output, notes.md)."""
        return f"skipped extractor {self.extractor!r} ({self.track}): {self.reason}"


class ModelUsage(Model):
    requests: int = 0
    usage: Usage = Usage()
    cost_usd: float = 0.0


class TierStats(Model):
    hits: int = 0
    misses: int = 0
    entries: int | None = None


class PlannedChunk(Model):
    """One chunk's line of a cost plan: the setting chosen, and what it was planned to cost."""

    id: str
    start: Seconds
    end: Seconds
    setting: ChunkSetting
    visual: float = Field(description="the chunk's visual evidence in [0, 1] (chunk_plan.py)")
    prompt_tokens: int = Field(ge=0)
    planned_usd: float = Field(ge=0)
    actual_usd: float | None = Field(default=None, description="after the run (report.json)")


class ChunkPlan(Model):
    """A per-chunk cost plan (`chunk_plan.py`): each chunk's setting and the planned total of the
    run's LLM work beside the budget, the cheapest and best plans and the naive whole video."""

    budget_usd: float
    priced_on: str
    reserve_usd: float = Field(description="held back for the budget stop's worst cases")
    chunks: list[PlannedChunk]
    summaries_usd: float = Field(description="section and video summaries")
    questions_usd: float
    cheapest_usd: float = Field(description="every chunk at its cheapest setting")
    best_usd: float = Field(description="every chunk at its best setting")
    naive_usd: float | None = Field(
        default=None, description="the whole video (or transcript) with every request"
    )

    @property
    def planned_usd(self) -> float:
        return sum(c.planned_usd for c in self.chunks) + self.summaries_usd + self.questions_usd


class RunReport(Model):
    schema_version: int = SCHEMA_VERSION
    spec: str
    media: Media
    started_at: str
    wall_s: float
    peak_rss_mb: float
    stages: list[StageReport] = []
    skipped: list[SkippedExtractor] = Field(
        default=[], description="extractors left out because the input cannot feed them")
    llm: dict[str, ModelUsage] = Field(default={}, description="usage and cost by model")
    llm_fallbacks_taken: list[str] = Field(
        default=[], description="switches to an `llm.fallback` backend after run-time failures"
    )
    cache: dict[str, TierStats] = Field(default={}, description="stats by cache tier")
    chunk_count: int = 0
    naive_input_tokens: int = Field(
        default=0, description="tokens of sending the whole transcript once per LLM request"
    )
    plan: ChunkPlan | None = Field(
        default=None, description="the per-chunk cost plan, with each chunk's actual cost"
    )


class ChunkSet(Model):
    schema_version: int = SCHEMA_VERSION
    media: str
    duration: Seconds
    chunker: str
    chunks: list[Chunk]


OUTPUT_MODELS: dict[str, type[BaseModel]] = {
    "timeline": Timeline,
    "chunks": ChunkSet,
    "summaries": Summaries,
    "report": RunReport,
    "answer": Answer,
}
