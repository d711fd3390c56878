"""Register a throwaway plugin for the length of a `with` block, without packaging anything.

    with registered(ClapsPlugin()):
        assert "claps" in get_registry().components["extractor"]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..plugins import load_plugins, pm


@contextmanager
def registered(plugin: object, name: str | None = None) -> Iterator[str]:
    """Register `plugin` (a module, class or object with `@hookimpl` functions) on HALO's plugin
    manager; yields the name it got, and unregisters it on exit."""
    load_plugins()  # installed plugins first, so their later (cached) loading cannot undo this
    given = pm.register(plugin, name=name)
    if given is None:
        raise ValueError(f"plugin {name or plugin!r} is blocked from registering")
    try:
        yield given
    finally:
        if pm.get_plugin(given) is not None:
            pm.unregister(name=given)
