"""Connecting to Ray: a private cluster on this machine for one run, or an existing one.

A private cluster listens on 127.0.0.1 only. On Linux Ray binds the machine's network address
even when told `--node-ip-address 127.0.0.1`, unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 is set
too (checked with `ss -ltn`); with both, every listener stays on loopback. `ray.shutdown()` then
stops exactly the processes this run started, never another cluster on the machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from halo_core import HaloError

LOOPBACK = "127.0.0.1"


@contextmanager
def connected(address: str | None, *, num_cpus: int | None,
              env_vars: Mapping[str, str]) -> Iterator[None]:
    """Ray initialised for the block: joined to `address` (`auto`, `HOST:PORT`,
    `ray://HOST:PORT`; unset: Ray's own RAY_ADDRESS variable, when set), or a private loopback
    cluster started for it and stopped after.
    Workers get `env_vars` (which plugins to load, ...). Already connected (a notebook that
    called `ray.init`): used as it is and left connected."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is None or _is_loopback(address):
        stay_on_loopback()
    import ray

    if ray.is_initialized():
        yield
        return
    runtime_env = {"env_vars": dict(env_vars)}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no report to the internet
    try:
        if address:
            local = {"_node_ip_address": LOOPBACK} if _is_loopback(address) else {}
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False,
                     configure_logging=False, **local)
        else:
            start_private(num_cpus, runtime_env)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"Ray cluster at {address}" if address else "a private Ray cluster"
        raise HaloError(
            f"cannot connect to {where}: {exc}", where="executor ray",
            fix="check `executor.with.address` (auto, HOST:PORT or ray://HOST:PORT) and that the "
                "cluster is up (`ray status`); leave it unset to start a private cluster") from None
    try:
        yield
    finally:
        ray.shutdown()


def stay_on_loopback() -> None:
    """Keep Ray on 127.0.0.1. Unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray on Linux rewrites
    127.0.0.1 — its own node address and an address to join — to the machine's network address.
    Ray reads the variable when first imported; set it on an already imported Ray as well."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False  # type: ignore[attr-defined]


def _is_loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0]
    return host in (LOOPBACK, "localhost")


def start_private(num_cpus: int | None, runtime_env: dict[str, Any] | None = None,
                  attempts: int = 3) -> Any:
    """`ray.init` of a new cluster on 127.0.0.1. Ray gives its raylet 30 s to register, which a
    machine under heavy load can miss: then the half-started node is stopped and started again."""
    import ray

    for attempt in range(1, attempts + 1):
        try:
            return ray.init(_node_ip_address=LOOPBACK, num_cpus=num_cpus, include_dashboard=False,
                            runtime_env=runtime_env, log_to_driver=False,
                            configure_logging=False)
        except Exception as exc:
            ray.shutdown()
            if attempt == attempts or "timed out during startup" not in str(exc):
                raise RuntimeError(str(exc)) from exc
    raise AssertionError("unreachable")
