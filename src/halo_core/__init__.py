"""HALO core: the public API that plugins build on.

Plugins import only from here (`from halo_core import Extractor, hookimpl, ...`).
"""

from .artifacts import (
    REBUILD_INDEX_FIX,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    read_with_manifest,
    write_with_manifest,
)
from .chunking import Candidate, boundary_f1, build_chunks, candidates, sentences
from .components import (
    CacheBackend,
    Chunker,
    Component,
    ComponentConfig,
    Embedder,
    Extractor,
    LLMBackend,
    VectorIndex,
)
from .context import RunContext
from .errors import (
    BudgetExceeded,
    ComponentUnavailable,
    HaloError,
    MediaError,
    SpecError,
    StageFailed,
    TransientLLMError,
)
from .hookspecs import hookimpl
from .model import (
    Answer,
    Boundary,
    BoundaryReason,
    Chunk,
    Citation,
    LLMRequest,
    LLMResponse,
    Media,
    MediaClip,
    Scene,
    Signal,
    SlideText,
    SpeakerTurn,
    Summaries,
    Summary,
    Timeline,
    TopicSegment,
    TranscriptSegment,
    Usage,
    Word,
)
from .plugins import get_registry
from .speakers import label_transcript
from .tokens import estimate_tokens

__all__ = [
    "Answer",
    "Boundary",
    "BoundaryReason",
    "BudgetExceeded",
    "CacheBackend",
    "Candidate",
    "Chunk",
    "Chunker",
    "Citation",
    "Component",
    "ComponentConfig",
    "ComponentUnavailable",
    "Embedder",
    "Extractor",
    "HaloError",
    "LLMBackend",
    "LLMRequest",
    "LLMResponse",
    "Media",
    "MediaClip",
    "MediaError",
    "REBUILD_INDEX_FIX",
    "RunContext",
    "Scene",
    "Signal",
    "SlideText",
    "SpeakerTurn",
    "SpecError",
    "StageFailed",
    "Summaries",
    "Summary",
    "Timeline",
    "TopicSegment",
    "TranscriptSegment",
    "TransientLLMError",
    "Usage",
    "VectorIndex",
    "Word",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "boundary_f1",
    "build_chunks",
    "candidates",
    "estimate_tokens",
    "get_registry",
    "hookimpl",
    "label_transcript",
    "read_with_manifest",
    "sentences",
    "write_with_manifest",
]
