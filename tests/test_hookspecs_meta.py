"""Every hook documents each parameter and is called by at least one test (datasette style):
tests/conftest.py records the hooks called through pluggy's hook-call monitoring."""

from __future__ import annotations

import inspect

import pytest

from halo_core import hookspecs

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


@pytest.mark.runs_last
@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_called_by_a_test(hook, hooks_called):
    assert hook in hooks_called, (
        f"no test of this session called {hook} with an implementation registered (this test "
        "runs after the others and sees what they called: run it with the rest of tests/)")
