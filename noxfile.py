"""Test sessions, hydra-style: the core alone, each plugin alone, all plugins against the core, and
the example plugin.

Sessions share the project's .venv (`make install` builds it, with torch pinned to the CPU wheel,
and runs nox with its interpreter, which is `sys.executable` here)
instead of building one environment each: a fresh torch-based environment per session would cost
minutes and gigabytes. Isolation comes from HALO_LOAD_PLUGINS, the allow-list of plugins HALO loads:
the core session sees only built-ins, a plugin session only that plugin.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
REPORTS = ROOT / "build" / "test-reports"
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "pyproject.toml").exists())

nox.options.default_venv_backend = "none"
nox.options.sessions = ["core", "plugin", "all_plugins", "example"]


def _pytest(session: nox.Session, report: str, *paths: str, load_plugins: str | None) -> None:
    env = {"HALO_LOAD_PLUGINS": load_plugins} if load_plugins is not None else {}
    if load_plugins is None:
        os.environ.pop("HALO_LOAD_PLUGINS", None)
    REPORTS.mkdir(parents=True, exist_ok=True)
    session.run(
        sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
        f"--junitxml={REPORTS / report}.xml", *session.posargs, env=env,
    )


@nox.session
def core(session: nox.Session) -> None:
    """The core's tests with built-in components only."""
    _pytest(session, "core", "tests", load_plugins="")


@nox.session
@nox.parametrize("plugin", PLUGINS)
def plugin(session: nox.Session, plugin: str) -> None:
    """One plugin's own tests, with only that plugin loaded."""
    _pytest(session, f"plugin-{plugin}", f"plugins/{plugin}/tests", load_plugins=plugin)


@nox.session
def all_plugins(session: nox.Session) -> None:
    """The core's end-to-end tests with every installed plugin loaded."""
    _pytest(session, "all-plugins", "tests", load_plugins=None)


@nox.session
@nox.parametrize("example", EXAMPLES)
def example(session: nox.Session, example: str) -> None:
    """The example third-party plugin's tests, as its author would run them."""
    _pytest(session, f"example-{example}", f"examples/{example}/tests", load_plugins=None)
