"""The `halo` command line.

Commands come from every module in `halo_core.commands` (each exposes `command`), then from plugins
through the `register_commands(cli)` hook. A module or plugin that fails to add its commands is
reported on stderr and skipped: one broken piece never takes `halo` down.

Errors: a `HaloError` prints its message and exits with its `exit_code` (2 for bad input); click
usage errors exit 2 as click does; anything else is a bug, reported in one line (the traceback with
HALO_DEBUG=1); Ctrl-C exits 130.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from . import commands
from .commands import GlobalOptions
from .errors import HaloError

EXIT_INTERRUPTED = 130


def _debug() -> bool:
    return os.environ.get("HALO_DEBUG") == "1"


def _report_broken(what: str, exc: BaseException) -> None:
    click.echo(f"halo: {what} failed to add its commands, skipping it: "
               f"{type(exc).__name__}: {exc}", err=True)
    if _debug():
        traceback.print_exception(exc)


class HaloGroup(click.Group):
    """The root group: adds plugin commands on first use and turns exceptions into exit codes."""

    _plugins_added = False

    def add_plugin_commands(self) -> None:
        if self._plugins_added:
            return
        self._plugins_added = True
        from .plugins import call_each, load_plugins, plugin_sources

        load_plugins()

        def failed(plugin_name: str, exc: BaseException) -> None:
            source = plugin_sources().get(plugin_name)
            distribution = source.distribution if source else "?"
            _report_broken(f"plugin {plugin_name!r} ({distribution})", exc)

        call_each("register_commands", failed, cli=self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # programmatic use: let the caller see the exceptions
            self.add_plugin_commands()
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            self.add_plugin_commands()
            result = super().main(args, prog_name, complete_var, False, **extra)
        except HaloError as exc:
            if _debug():
                traceback.print_exc()
            click.echo(exc.message, err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort as exc:
            interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
            click.echo("interrupted" if interrupted else "aborted", err=True)
            sys.exit(EXIT_INTERRUPTED if interrupted else 1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if _debug():
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc} "
                       "(set HALO_DEBUG=1 for the traceback)", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (click's test runner and pytest swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _setup_logging(quiet: bool, verbose: int) -> None:
    levels = {0: logging.WARNING, 1: logging.INFO}
    level = logging.ERROR if quiet else levels.get(verbose, logging.DEBUG)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("halo")
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _StderrHandler)]
    logger.addHandler(handler)
    logger.setLevel(level)


@click.group(cls=HaloGroup)
@click.version_option(package_name="halo-core", prog_name="halo")
@click.option("-q", "--quiet", is_flag=True, help="No progress, only errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: int) -> None:
    """HALO: turn long videos into coherent chunks, summaries, notes and answers."""
    ctx.obj = GlobalOptions(quiet=quiet, verbose=verbose)
    _setup_logging(quiet, verbose)


def _add_core_commands(group: click.Group) -> None:
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module_name = f"{commands.__name__}.{module_info.name}"
        try:
            command = importlib.import_module(module_name).command
        except Exception as exc:
            _report_broken(f"module {module_name}", exc)
            continue
        group.add_command(command)


_add_core_commands(main)

if __name__ == "__main__":
    main()
