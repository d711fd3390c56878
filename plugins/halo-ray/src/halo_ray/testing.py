"""Test helpers: a real Ray cluster on 127.0.0.1, started and stopped by its own process.

    from halo_ray.testing import running_ray_cluster

    with running_ray_cluster(num_cpus=2) as cluster:
        ...  # spec: executor: {use: ray, with: {address: cluster.address}}

The cluster lives in a child process that started it with `ray.init` (loopback only, see
`cluster.py`) and stops it with `ray.shutdown()` when its standard input closes; it is killed by
its PID if that takes too long. Nothing else on the machine is touched (`ray stop` would stop
every Ray process of every user).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_HOLDER = """
import os, sys
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
import ray
info = ray.init(_node_ip_address="127.0.0.1", num_cpus=int(sys.argv[1]), include_dashboard=False,
                log_to_driver=False, configure_logging=False)
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

    def processes(self) -> list[int]:
        return descendants(self.pid)


@contextmanager
def running_ray_cluster(num_cpus: int = 2, *, timeout_s: float = 300) -> Iterator[RayCluster]:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(num_cpus)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        address = holder.stdout.readline().strip()
        if not address:
            raise RuntimeError("the Ray cluster did not start (its process printed no address)")
        yield RayCluster(address, holder.pid)
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
