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
from .builtins.caches import CacheConfig, encode_value
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
from .hookspecs import Register, hookimpl
from .media import probe
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
from .models import ModelCache
from .plugins import get_registry
from .prices import (
    MediaAccounting,
    ModelPrice,
    PricedConfig,
    PriceTable,
    Rates,
    TokenCounts,
    cache_storage_cost_usd,
    cost_usd,
    price_table,
    worst_case_cost_usd,
)
from .prices import today as price_date
from .speakers import label_transcript
from .text import content_terms, number_words
from .tokens import estimate_tokens

__all__ = [
    "Answer",
    "Boundary",
    "BoundaryReason",
    "BudgetExceeded",
    "CacheBackend",
    "CacheConfig",
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
    "MediaAccounting",
    "MediaError",
    "ModelCache",
    "ModelPrice",
    "PriceTable",
    "PricedConfig",
    "REBUILD_INDEX_FIX",
    "Rates",
    "Register",
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
    "TokenCounts",
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
    "cache_storage_cost_usd",
    "candidates",
    "content_terms",
    "cost_usd",
    "encode_value",
    "estimate_tokens",
    "get_registry",
    "hookimpl",
    "label_transcript",
    "number_words",
    "price_date",
    "price_table",
    "probe",
    "read_with_manifest",
    "sentences",
    "worst_case_cost_usd",
    "write_with_manifest",
]
