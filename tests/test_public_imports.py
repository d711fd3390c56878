"""Plugins and the example import HALO only through its public API: `halo_core` and, in their tests,
`halo_core.testing` (docs/plugins.md). A plugin reaching into a private module breaks silently when
the core is reorganised; what a plugin needs is exported from `halo_core` instead."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted(p for p in [*REPO.glob("plugins/*"), *REPO.glob("examples/*")]
                       if (p / "pyproject.toml").exists())


def private_imports(path: Path, root: Path = REPO) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        for name in names:
            public = name == "halo_core" or name.startswith("halo_core.testing")
            if name.startswith("halo_core.") and not public:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    return found


@pytest.mark.parametrize("distribution", DISTRIBUTIONS, ids=lambda p: p.name)
def test_a_plugin_imports_only_the_public_api(distribution: Path) -> None:
    found = [hit for path in sorted(distribution.rglob("*.py")) for hit in private_imports(path)]
    assert found == [], "import these from halo_core (export them there if they are missing)"


def test_a_private_import_is_found(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text("from halo_core.plugins import pm\nimport halo_core.qa\n"
                      "from halo_core import Media\nfrom halo_core.testing import media\n")
    assert private_imports(source, tmp_path) == ["plugin.py:1: halo_core.plugins",
                                                 "plugin.py:2: halo_core.qa"]
