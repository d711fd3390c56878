"""Connecting to Ray: a private cluster on this machine for one run, or an existing one.

A private cluster listens on 127.0.0.1 only. On Linux Ray binds the machine's network address
even when told `--node-ip-address 127.0.0.1`, unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 is set
too (checked with `ss -ltn`); with both, every listener stays on loopback. `ray.shutdown()` then
stops exactly the processes this run started, never another cluster on the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from halo_core import HaloError

LOOPBACK = "127.0.0.1"


@contextmanager
def connected(address: str | None, *, num_cpus: int | None,
              env_vars: Mapping[str, str]) -> Iterator[None]:
    """Ray initialised for the block: joined to `address` (`auto`, `HOST:PORT`,
    `ray://HOST:PORT`), or a private loopback cluster started for it and stopped after.
    Workers get `env_vars` (which plugins to load, ...). Already connected (a notebook that
    called `ray.init`): used as it is and left connected."""
    import ray

    if ray.is_initialized():
        yield
        return
    runtime_env = {"env_vars": dict(env_vars)}
    # Without this, Ray rewrites 127.0.0.1 (in an address to join, or its own) to the machine's
    # network address.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        if address:
            local = {"_node_ip_address": LOOPBACK} if _is_loopback(address) else {}
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False,
                     configure_logging=False, **local)
        else:
            ray.init(_node_ip_address=LOOPBACK, num_cpus=num_cpus, include_dashboard=False,
                     runtime_env=runtime_env, log_to_driver=False, configure_logging=False)
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


def _is_loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0]
    return host in (LOOPBACK, "localhost")
