from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from halo_ray.testing import RayCluster, running_ray_cluster

FIXTURES = Path(__file__).parent / "fixtures"
INPUTS = sorted(FIXTURES.glob("part*.m4a"))

# Speech recognition on each input (the model lives in the workers), chunks, index, summaries
# and answers: every kind of stage runs on a worker.
SPEC = """\
version: 1
name: talks
extractors:
  - use: faster-whisper
    with: {beam_size: 1}
chunker: {use: rules, with: {min_duration: 3, max_duration: 10}}
embedder: {use: hashing}
index: {use: numpy}
cache: {use: sqlite}
llm: {use: extractive}
tasks:
  summarize: true
  ask: ["What did Gutenberg invent?"]
outputs: runs
"""


# The workers run speech recognition: halo-whisper must load there as well as here (the nox
# session allows only this plugin; workers inherit HALO_* variables).
if os.environ.get("HALO_LOAD_PLUGINS") is not None:
    os.environ["HALO_LOAD_PLUGINS"] = "halo-ray,halo-whisper"


@pytest.fixture(scope="session")
def cluster() -> Iterator[RayCluster]:
    with running_ray_cluster(num_cpus=2) as running:
        before = {k: os.environ.get(k) for k in running.auth_env()}
        os.environ.update(running.auth_env())  # what a driver joining this cluster needs
        try:
            yield running
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "talks.yaml"
    path.write_text(SPEC)
    return path


def outputs_of(run_dir: Path) -> dict[str, object]:
    """What must not depend on the executor: chunks, summaries, answers."""
    return {name: json.loads((run_dir / name).read_text())
            for name in ("chunks.json", "summaries.json", "answers.json")}
