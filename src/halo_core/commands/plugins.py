"""`halo plugins`: each distribution that provides components, what it provides, what is broken."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

import click

from ..kinds import KIND_NAMES
from ..plugins import (
    CORE_DISTRIBUTION,
    get_registry,
    not_loaded_entry_points,
    plugin_sources,
    pm,
)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except (metadata.PackageNotFoundError, ValueError):
        return ""


def plugin_listing(include_not_loaded: bool = False) -> list[dict[str, Any]]:
    """One entry per distribution: version, plugins, hooks, components by kind, problems."""
    registry = get_registry()
    entries: dict[str, dict[str, Any]] = {}

    def entry(distribution: str, version: str = "", loaded: bool = True) -> dict[str, Any]:
        if distribution not in entries:
            entries[distribution] = {
                "name": distribution, "version": version or _version(distribution),
                "loaded": loaded, "plugins": [], "hooks": [],
                "components": {}, "problems": [],
            }
        return entries[distribution]

    for plugin_name, source in plugin_sources().items():
        found = entry(source.distribution, source.version)
        found["plugins"].append(plugin_name)
        plugin = pm.get_plugin(plugin_name)
        hooks = {caller.name for caller in pm.get_hookcallers(plugin) or []}
        found["hooks"] = sorted(set(found["hooks"]) | hooks)
    for kind in KIND_NAMES:
        for name, info in sorted(registry.components[kind].items()):
            entry(info.distribution, info.source.version)["components"].setdefault(
                kind, []).append(name)
    for problem in registry.problems:
        # A distribution seen only through its problems has no plugin registered: it failed to
        # import, or implements a hook HALO does not have.
        found = entry(problem.distribution, loaded=False)
        found["problems"].append({"plugin": problem.plugin, "error": problem.error})
    if include_not_loaded:
        for entry_point in not_loaded_entry_points():
            distribution = entry_point.dist.name if entry_point.dist else "?"
            if distribution in entries:
                continue
            found = entry(distribution, entry_point.dist.version if entry_point.dist else "")
            found["loaded"] = False
            found["plugins"].append(entry_point.name)
    core = entries.pop(CORE_DISTRIBUTION, None)
    rest = sorted(entries.values(), key=lambda e: (not e["loaded"], e["name"]))
    return [core, *rest] if core else rest


def _print_text(listing: list[dict[str, Any]]) -> None:
    for found in listing:
        filtered = not found["loaded"] and not found["problems"]
        state = "  (not loaded: not in HALO_LOAD_PLUGINS)" if filtered else ""
        broken = "  BROKEN" if found["problems"] else ""
        click.echo(f"{found['name']} {found['version']}{broken}{state}")
        for kind, names in found["components"].items():
            click.echo(f"  {kind.replace('_', ' ')}: {', '.join(names)}")
        if found["hooks"]:
            click.echo(f"  hooks: {', '.join(found['hooks'])}")
        for problem in found["problems"]:
            click.echo(f"  problem ({problem['plugin']}): {problem['error']}")


@click.command("plugins")
@click.option("--all", "include_all", is_flag=True,
              help="Also list installed plugins that HALO_LOAD_PLUGINS keeps from loading.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(include_all: bool, as_json: bool) -> None:
    """List each plugin distribution, its version, the components it provides, and problems.

    A plugin that fails to load is listed with its error; every other plugin keeps working.
    """
    listing = plugin_listing(include_not_loaded=include_all)
    if as_json:
        click.echo(json.dumps(listing, indent=2))
    else:
        _print_text(listing)
