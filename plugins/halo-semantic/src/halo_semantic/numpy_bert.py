"""A BERT sentence-transformer run in numpy: the embedder's path that never imports torch.

Loading sentence-transformers costs seconds (torch, transformers); `halo ask` in a new process
embeds one short question. A model folder of the plain shape — modules Transformer → mean
Pooling → Normalize over a `bert` encoder with absolute positions and GELU, weights in
`model.safetensors`, a fast tokenizer in `tokenizer.json` — is run here instead: the same
tokenizer (the Rust `tokenizers` library), the same weights, the same arithmetic in float32.
The vectors equal sentence-transformers' up to float rounding (about 1e-6; checked by
halo-semantic's tests on real texts), so an index built by either is searched by either.

`supported(folder)` says whether a folder has that shape; any other model goes through
sentence-transformers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]
_MEAN_POOLING = {
    "pooling_mode_cls_token": False,
    "pooling_mode_mean_tokens": True,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supported(folder: Path) -> bool:
    """Whether `folder` holds a model this module computes exactly as sentence-transformers."""
    modules = _read_json(folder / "modules.json")
    config = _read_json(folder / "config.json")
    if not isinstance(modules, list) or not isinstance(config, dict):
        return False
    if [m.get("type") for m in modules] != _MODULES or modules[0].get("path") not in ("", "."):
        return False
    pooling = _read_json(folder / str(modules[1].get("path", "")) / "config.json")
    if not isinstance(pooling, dict) or any(
        pooling.get(k, False) != v for k, v in _MEAN_POOLING.items()
    ):
        return False
    if pooling.get("include_prompt", True) is not True:
        return False
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not st_config.get("do_lower_case", False)
        # A prompt prepended to queries would change what is encoded.
        and not (_read_json(folder / "config_sentence_transformers.json") or {}).get("prompts")
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def hidden_size(folder: Path) -> int:
    """The embedding dimension of a `supported` folder, read without loading the weights."""
    return int(_read_json(folder / "config.json")["hidden_size"])


# Numerical Recipes' Chebyshev fit of erfc (relative error < 1.2e-7), highest power first.
_ERFC_FIT = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf from `_ERFC_FIT` (scipy's import costs 0.7 s)."""
    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(t)
    for coefficient in _ERFC_FIT:
        poly = poly * t + coefficient
    erfc = t * np.exp(poly - z * z)
    erf = np.where(x >= 0, 1.0 - erfc, erfc - 1.0)
    return x * 0.5 * (1.0 + erf)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(-1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


_ONE_AT_A_TIME = threading.Lock()


class NumpyBert:
    """Mean-pooled, normalized BERT sentence embeddings; `encode` as sentence-transformers'."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        st_config = _read_json(folder / "sentence_bert_config.json") or {}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        limit = int(config["max_position_embeddings"])
        self.max_length = min(int(st_config.get("max_seq_length") or limit), limit)
        weights = load_file(str(folder / "model.safetensors"))
        # Some checkpoints name the encoder's tensors `bert.…`; the layout is the same.
        self.w = {k.removeprefix("bert."): v for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Unit vectors (float32, one row per text), texts batched by length as ST does."""
        from threadpoolctl import threadpool_limits

        # sentence-transformers strips each text before tokenizing.
        ids = [e.ids for e in self.tokenizer.encode_batch([t.strip() for t in texts])]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        # These matrices are small: BLAS threads only spin against each other (ten times slower
        # on a busy machine), so one thread computes them. The limit is process-wide and restored
        # on exit: one encode at a time, so two overlapping ones never restore it out of order.
        with _ONE_AT_A_TIME, threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                out[batch] = self._forward([ids[i] for i in batch])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        w, n, length = self.w, len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        # Padded keys get the most negative float, as transformers' attention mask does.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in range(self.layers):
            x = self._layer(x, bias, f"encoder.layer.{layer}.")
        summed = (x * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        n, length, dim = x.shape
        head = dim // self.heads

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(n, length, self.heads, head).transpose(0, 2, 1, 3)

        q = split(self._linear(x, p + "attention.self.query"))
        k = split(self._linear(x, p + "attention.self.key"))
        v = split(self._linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, dim)
        x = _layer_norm(
            self._linear(context, p + "attention.output.dense") + x,
            self.w[p + "attention.output.LayerNorm.weight"],
            self.w[p + "attention.output.LayerNorm.bias"],
            self.eps,
        )
        hidden = _gelu(self._linear(x, p + "intermediate.dense"))
        return _layer_norm(
            self._linear(hidden, p + "output.dense") + x,
            self.w[p + "output.LayerNorm.weight"],
            self.w[p + "output.LayerNorm.bias"],
            self.eps,
        )
