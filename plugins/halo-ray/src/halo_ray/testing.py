"""Test helpers: a real Ray cluster on 127.0.0.1, started and stopped by its own process.

    from halo_ray.testing import running_ray_cluster

    with running_ray_cluster(num_cpus=2) as cluster:
        os.environ.update(cluster.auth_env())  # the cluster's token, for drivers that join
        ...  # spec: executor: {use: ray, with: {address: cluster.address}}

The cluster lives in a child process that started it with `ray.init` (loopback only, see
`cluster.py`) and stops it with `ray.shutdown()` when its standard input closes; it is killed by
its PID if that takes too long. Nothing else on the machine is touched (`ray stop` would stop
every Ray process of every user).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_HOLDER = """
import os, sys
import ray
from halo_ray.cluster import start_private, stay_on_loopback
stay_on_loopback()
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
info = start_private(int(sys.argv[1]))
print(info.address_info["gcs_address"], flush=True)
sys.stdin.read()
ray.shutdown()
"""


@dataclass(frozen=True)
class RayCluster:
    address: str
    """`127.0.0.1:PORT`, what `executor.with.address` takes"""
    pid: int
    """the process that holds the cluster; every Ray process of it descends from it"""
    token: str
    """the cluster's authentication token: a driver that joins sets `auth_env()`"""

    def auth_env(self) -> dict[str, str]:
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def processes(self) -> list[int]:
        return descendants(self.pid)


@contextmanager
def running_ray_cluster(num_cpus: int = 2, *, timeout_s: float = 300) -> Iterator[RayCluster]:
    token = secrets.token_hex(32)
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(num_cpus)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              start_new_session=True, env=env)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        address = holder.stdout.readline().strip()
        if not address:
            raise RuntimeError("the Ray cluster did not start (its process printed no address)")
        yield RayCluster(address, holder.pid, token)
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc: children of children...)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


def listening_addresses(pids: list[int]) -> set[str]:
    """The local addresses on which these processes listen for TCP connections (`ss -ltnp`)."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    wanted = {f"pid={p}," for p in pids}
    addresses = set()
    for line in out.splitlines():
        if any(w in line for w in wanted):
            local = line.split()[3]
            addresses.add(local.rsplit(":", 1)[0])
    return addresses
