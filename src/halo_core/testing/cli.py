"""Run the `halo` command line in-process, with every loaded plugin's commands, for tests.

    result = invoke_halo(["rl", "train", "--steps", "2048"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
"""

from __future__ import annotations

from collections.abc import Sequence

from click.testing import CliRunner, Result


def invoke_halo(args: Sequence[str], *, catch_exceptions: bool = True) -> Result:
    """`halo ARGS` through click's CliRunner: exit code, stdout and stderr captured."""
    from ..cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=catch_exceptions)
