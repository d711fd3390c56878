"""The `halo` subcommands: every module in this package that exposes `command: click.Command`.

`halo_core.cli` discovers the modules with pkgutil, so adding a command is adding a module here.
Options that apply to every command (`-q`, `-v`) are on the root group; a command reads them with
`global_options()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import click


@dataclass(frozen=True)
class GlobalOptions:
    quiet: bool = False
    verbose: int = 0


def global_options(ctx: click.Context | None = None) -> GlobalOptions:
    """The root group's `-q`/`-v`, or the defaults when a command is invoked on its own."""
    ctx = ctx or click.get_current_context()
    found = ctx.find_object(GlobalOptions)
    return found if found is not None else GlobalOptions()
