"""The hooks a HALO plugin implements.

Every component hook is a register-callback hook: HALO calls it once per process with a
`register` function, and the plugin calls `register(cls)` for each component class it provides.
Classes are registered, not instances: HALO builds instances from a spec's validated `with:`.

A plugin implements any subset of these with `@halo_core.hookimpl` and is found through the
`halo` entry-point group. No hook is `firstresult`; return values are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import pluggy

from .components import Component

hookspec = pluggy.HookspecMarker("halo")
hookimpl = pluggy.HookimplMarker("halo")

Register = Callable[[type[Component[Any]]], None]
"""What a component hook is handed: call it with each component class (the class, not an instance).
It raises TypeError for a class that is not a subclass of the hook's base class or has no `name`."""


@hookspec
def register_extractors(register: Register) -> None:
    """Register extractor classes (subclasses of :class:`halo_core.Extractor`).

    :param register: call ``register(ExtractorClass)`` for each extractor this plugin provides.
        The class's ``name`` is what a spec's ``use:`` says; its ``provides`` is the track it
        fills, and ``requires`` the tracks it reads.
    """


@hookspec
def register_chunkers(register: Register) -> None:
    """Register chunker classes (subclasses of :class:`halo_core.Chunker`).

    :param register: call ``register(ChunkerClass)`` for each chunker this plugin provides.
    """


@hookspec
def register_embedders(register: Register) -> None:
    """Register text embedder classes (subclasses of :class:`halo_core.Embedder`).

    :param register: call ``register(EmbedderClass)`` for each embedder this plugin provides.
    """


@hookspec
def register_vector_indexes(register: Register) -> None:
    """Register vector index classes (subclasses of :class:`halo_core.VectorIndex`).

    :param register: call ``register(IndexClass)`` for each vector index this plugin provides.
    """


@hookspec
def register_cache_backends(register: Register) -> None:
    """Register cache backend classes (subclasses of :class:`halo_core.CacheBackend`).

    :param register: call ``register(BackendClass)`` for each cache backend this plugin provides.
    """


@hookspec
def register_llm_backends(register: Register) -> None:
    """Register LLM backend classes (subclasses of :class:`halo_core.LLMBackend`).

    :param register: call ``register(BackendClass)`` for each LLM backend this plugin provides.
    """


@hookspec
def register_executors(register: Register) -> None:
    """Register executor classes (subclasses of :class:`halo_core.Executor`).

    An executor decides when and where a run's stages run (the spec's ``executor:``, or
    ``halo run --executor NAME``); the built-in ``local`` runs them in this process.

    :param register: call ``register(ExecutorClass)`` for each executor this plugin provides.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``halo`` command line.

    :param cli: the root ``click.Group``; call ``cli.add_command(...)`` or decorate with
        ``@cli.command()`` / ``@cli.group()``. Import heavy dependencies inside the commands,
        not at module level, so ``halo --help`` stays fast.
    """


def _component_hooks() -> dict[str, str]:
    from .kinds import KINDS

    return {row.kind: row.hook for row in KINDS}


COMPONENT_HOOKS: dict[str, str] = _component_hooks()
"""kind -> its hook's name, from `kinds.KINDS`."""
