"""The `ray` executor on a real Ray cluster bound to 127.0.0.1 (one node, several workers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import INPUTS, outputs_of
from halo_ray.testing import RayCluster, descendants, listening_addresses

import halo_core
from halo_core.testing.executor_contract import ExecutorContract


def run_on(spec: Path, out: Path, inputs: list[Path], **executor: object) -> list:
    overrides: dict[str, object] = {"cache.with.path": str(out / "cache.db")}  # one per run
    if executor:
        overrides["executor"] = {"use": "ray", "with": executor}
    return halo_core.run(spec, inputs=inputs, out=out, overrides=overrides)


def batch_of(out: Path) -> dict:
    return json.loads((out / "talks" / "batch.json").read_text())


def test_every_cluster_listener_is_on_loopback(cluster: RayCluster) -> None:
    addresses = listening_addresses(cluster.processes())
    assert addresses, "the cluster listens somewhere"
    assert addresses <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, addresses


def test_three_inputs_on_the_cluster_equal_the_local_run(
    cluster: RayCluster, spec: Path, tmp_path: Path
) -> None:
    local = run_on(spec, tmp_path / "local", INPUTS)
    remote = run_on(spec, tmp_path / "ray", INPUTS, address=cluster.address, workers=2)
    assert [r.error for r in remote] == [None, None, None]
    for a, b in zip(local, remote, strict=True):
        assert outputs_of(a.run_dir) == outputs_of(b.run_dir)
    batch = batch_of(tmp_path / "ray")
    assert [i["status"] for i in batch["inputs"]] == ["finished"] * 3
    # One speech model per worker process that transcribed, not one per video.
    loads = batch["executor"]["model_loads"]
    assert 1 <= sum(loads) <= 2 and len(loads) <= 2


def test_a_rerun_reuses_every_stage(cluster: RayCluster, spec: Path, tmp_path: Path) -> None:
    run_on(spec, tmp_path, INPUTS[:2], address=cluster.address)
    again = run_on(spec, tmp_path, INPUTS[:2], address=cluster.address)
    for result in again:
        assert result.report is not None
        assert all(stage.reused for stage in result.report.stages)
    assert batch_of(tmp_path)["executor"]["stage_calls"] == 0


def test_a_broken_input_fails_alone(cluster: RayCluster, spec: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.m4a"  # most audio packets overwritten with noise
    data = bytearray(INPUTS[0].read_bytes())
    for i in range(len(data) * 15 // 100, len(data) * 95 // 100):
        data[i] = (i * 7919) % 256
    broken.write_bytes(data)
    results = run_on(spec, tmp_path, [broken, *INPUTS[1:]], address=cluster.address)
    assert results[0].error is not None
    message = results[0].error.message
    assert "stage 'transcript' failed in extractor 'faster-whisper' (halo-whisper" in message
    assert "broken.m4a" in message and "corrupt" in message
    assert [r.error for r in results[1:]] == [None, None]
    run_json = json.loads((results[0].run_dir / "run.json").read_text())
    assert run_json["incomplete"]["stage"] == "transcript"


def test_a_worker_killed_mid_stage_is_replaced_and_the_run_completes(
    cluster: RayCluster, spec: Path, tmp_path: Path
) -> None:
    lecture = tmp_path / "lecture.m4a"  # long enough to be caught mid-transcription
    shutil.copy(Path(halo_core.__file__).parents[2] / "samples/lecture/lecture.mp4", lecture)
    killed: list[int] = []

    def kill_a_transcribing_worker() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not killed:
            for pid in descendants(cluster.pid):
                try:
                    title = Path(f"/proc/{pid}/cmdline").read_text()
                except OSError:
                    continue
                if "StageWorker.run" in title:
                    time.sleep(1.0)  # into the stage, past the model load
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_transcribing_worker)
    killer.start()
    [result] = run_on(spec, tmp_path, [lecture], address=cluster.address, workers=1)
    killer.join()
    assert killed, "no worker was seen running a stage"
    assert result.error is None
    batch = batch_of(tmp_path)
    stages = len(result.report.stages)
    assert batch["executor"]["stage_calls"] == stages + 1  # only the killed stage ran twice
    assert batch["executor"]["retries"] == 1


def test_a_private_cluster_is_started_for_the_run_and_stopped_after(
    spec: Path, tmp_path: Path
) -> None:
    before = set(descendants(os.getpid()))
    [result] = run_on(spec, tmp_path, INPUTS[:1], workers=1)
    assert result.error is None
    assert set(descendants(os.getpid())) <= before  # nothing of the cluster is left


def test_ctrl_c_stops_the_run_and_leaves_nothing_running(spec: Path, tmp_path: Path) -> None:
    halo = Path(sys.executable).with_name("halo")
    run = subprocess.Popen(
        [str(halo), "run", str(spec), "--executor", "ray", "--set", "executor.with.workers=1",
         "--out", str(tmp_path / "out"),
         *[a for path in INPUTS for a in ("--input", str(path))]],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    cluster: list[int] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not any("StageWorker.run" in _cmdline(p)
                                                  for p in cluster):
        cluster = descendants(run.pid)
        time.sleep(0.1)
    assert cluster, "the run started no cluster"
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    deadline = time.monotonic() + 60  # Ray's processes exit once told to; give them the time
    while time.monotonic() < deadline and any(_alive(p) for p in cluster):
        time.sleep(0.2)
    assert [p for p in cluster if _alive(p)] == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class TestRayExecutor(ExecutorContract):
    """The core's executor contract, on the session's cluster (joined through RAY_ADDRESS)."""

    @pytest.fixture
    def executor(self, cluster: RayCluster, monkeypatch: pytest.MonkeyPatch) -> str:
        monkeypatch.setenv("RAY_ADDRESS", cluster.address)
        return "ray"
