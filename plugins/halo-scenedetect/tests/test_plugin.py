"""The distribution's entry point registers both extractors with HALO."""

from __future__ import annotations

from halo_core import get_registry


def test_both_extractors_are_registered_and_provide_scenes() -> None:
    registry = get_registry()
    for name in ("scenedetect", "transnetv2"):
        info = registry.get("extractor", name)
        assert info.cls.provides == "scenes"
        assert info.distribution == "halo-scenedetect"
        assert registry.build("extractor", name, {}).check() == []
