"""Every hook documents each parameter and is exercised by at least one test (datasette style)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from halo_core import hookspecs

REPO = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, value in vars(hookspecs).items()
               if callable(value) and hasattr(value, "halo_spec"))


def test_the_hooks_are_found():
    assert "register_extractors" in HOOKS and "register_commands" in HOOKS
    assert set(hookspecs.COMPONENT_HOOKS.values()) <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_documents_each_parameter(hook):
    function = getattr(hookspecs, hook)
    doc = inspect.getdoc(function)
    assert doc, f"hookspec {hook} has no docstring"
    for parameter in inspect.signature(function).parameters:
        assert f":param {parameter}:" in doc, f"hookspec {hook} does not document {parameter!r}"


def _test_sources() -> str:
    folders = [REPO / "tests", *sorted((REPO / "plugins").glob("*/tests"))]
    return "\n".join(path.read_text(encoding="utf-8") for folder in folders
                     for path in sorted(folder.rglob("*.py")))


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook):
    assert hook in _test_sources(), f"no test under tests/ or plugins/*/tests/ uses {hook}"
