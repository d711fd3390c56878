"""A trained policy as plain arrays: an MLP (the actor of a PPO model), run with numpy.

Shipping the actor's weights (`.npz`, loaded with allow_pickle=False) instead of a
stable-baselines3 `.zip` keeps the file a few KB, needs no torch to run, and never unpickles.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from halo_core import ComponentUnavailable, atomic_write_bytes

from .env import OBSERVATION, Limits

BUNDLED_POLICY = Path(__file__).with_name("policy.npz")


@dataclass(frozen=True)
class Policy:
    layers: list[tuple[np.ndarray, np.ndarray]]
    """Hidden layers (weight (out, in), bias), tanh-activated, then the action layer."""
    meta: dict[str, Any]

    def logits(self, observations: np.ndarray) -> np.ndarray:
        """(..., 2) no-cut and cut logits of (..., observation) arrays."""
        hidden = observations.astype(np.float32)
        for weight, bias in self.layers[:-1]:
            hidden = np.tanh(hidden @ weight.T + bias)
        weight, bias = self.layers[-1]
        return hidden @ weight.T + bias

    def wants_cut(self, observation: np.ndarray) -> bool:
        return bool(np.argmax(self.logits(observation)) == 1)

    def contributions(self, observation: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        """How much each feature raised the cut-over-no-cut logit margin: the margin minus the
        margin with that one feature set to its `baseline` value (occlusion)."""
        occluded = np.repeat(observation[None, :], len(observation), axis=0)
        np.fill_diagonal(occluded, baseline)
        margin = np.diff(self.logits(np.vstack([observation, occluded])), axis=-1)[:, 0]
        return margin[0] - margin[1:]

    def save(self, path: Path) -> None:
        arrays = {f"w{i}": w for i, (w, _) in enumerate(self.layers)}
        arrays |= {f"b{i}": b for i, (_, b) in enumerate(self.layers)}
        arrays["meta"] = np.frombuffer(
            json.dumps(self.meta, sort_keys=True).encode(), dtype=np.uint8
        )
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> Policy:
        if not path.is_file():
            raise ComponentUnavailable(
                "policy file not found",
                where=str(path),
                fix="pass `policy: bundled`, or train one with `halo rl train --out FILE`",
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                count = sum(1 for k in data.files if k.startswith("w"))
                layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(count)]
        except (OSError, ValueError, KeyError) as exc:
            raise ComponentUnavailable(
                f"not a HALO policy file ({exc})",
                where=str(path),
                fix="use a file written by `halo rl train`",
            ) from None
        if meta.get("observation") != list(OBSERVATION):
            raise ComponentUnavailable(
                "policy was trained on other observations than this halo-rl provides",
                where=str(path),
                fix="retrain it with `halo rl train` from this version",
            )
        return cls(layers, meta)

    @property
    def limits(self) -> Limits:
        return Limits.model_validate(self.meta["limits"])


def _actor_modules(model: Any) -> list[Any]:
    """The Linear layers of an SB3 PPO model's actor, input first, the action head last."""
    import torch

    hidden = [m for m in model.policy.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)]
    return [*hidden, model.policy.action_net]


def into_stable_baselines(policy: Policy, model: Any) -> None:
    """Load `policy`'s layers into the actor of an SB3 PPO model of the same shape."""
    import torch

    with torch.no_grad():
        for module, (weight, bias) in zip(_actor_modules(model), policy.layers, strict=True):
            module.weight.copy_(torch.from_numpy(weight))
            module.bias.copy_(torch.from_numpy(bias))


def from_stable_baselines(model: Any, meta: dict[str, Any]) -> Policy:
    """Extract the actor (policy MLP + action head) of a trained SB3 PPO model."""
    layers = [
        (m.weight.detach().cpu().numpy().copy(), m.bias.detach().cpu().numpy().copy())
        for m in _actor_modules(model)
    ]
    return Policy(layers, {**meta, "observation": list(OBSERVATION)})
