"""The `halo` entry point of halo-ray: registers the `ray` executor."""

from __future__ import annotations

from halo_core import Register, hookimpl

from .executor import RayExecutor


@hookimpl
def register_executors(register: Register) -> None:
    register(RayExecutor)
