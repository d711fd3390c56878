"""Plugin loading through real entry points: throwaway distributions (a `.dist-info` folder with
`entry_points.txt` beside their modules) on PYTHONPATH, found by importlib.metadata exactly as an
installed plugin is. Loading is cached per process, so each case runs `halo` in a subprocess."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from halo_core.plugins import get_registry

GOOD = '''
import click
from halo_core import ComponentConfig, Extractor, hookimpl


class Claps(Extractor[ComponentConfig]):
    name = "toy-plug"
    provides = "claps"


@hookimpl
def register_extractors(register):
    register(Claps)


@hookimpl
def register_commands(cli):
    @cli.command("toy-hello")
    def hello():
        """Say hello."""
        click.echo("hello from toyplug")
'''

BROKEN = '''
import halo_core
import not_installed_dependency_xyz  # the plugin's dependency is missing
'''

MISSPELLED_HOOK = '''
from halo_core import hookimpl


@hookimpl
def register_extractor(register):  # should be register_extractors
    pass
'''

BAD_COMMANDS = '''
from halo_core import hookimpl


@hookimpl
def register_commands(cli):
    raise RuntimeError("cannot add commands today")
'''

PLUGINS = {
    # distribution: (version, entry point name, module name, source)
    "halo-toyplug": ("0.3.0", "toyplug", "halo_toyplug", GOOD),
    "halo-brokenplug": ("0.2.0", "brokenplug", "halo_brokenplug", BROKEN),
    "halo-typoplug": ("0.1.0", "typoplug", "halo_typoplug", MISSPELLED_HOOK),
    "halo-badcmds": ("0.1.0", "badcmds", "halo_badcmds", BAD_COMMANDS),
}
ALL_TOY = ",".join(entry for _, entry, _, _ in PLUGINS.values())


def install(folder: Path, distribution: str, version: str, entry: str, module: str,
            source: str) -> None:
    """Lay out a distribution as pip would in site-packages: its module and its .dist-info."""
    info = folder / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[halo]\n{entry} = {module}\n")
    (folder / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the throwaway distributions, as site-packages would."""
    folder = tmp_path_factory.mktemp("site")
    for distribution, (version, entry, module, source) in PLUGINS.items():
        install(folder, distribution, version, entry, module, source)
    return folder


@pytest.fixture
def halo_with(site: Path, run_halo: Callable[..., Any],
              isolated_env: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """Run halo with the throwaway distributions installed; `load` is HALO_LOAD_PLUGINS."""

    def run(*args: str, load: str | None = ALL_TOY, site: Path = site,
            **env: str | None) -> Any:
        pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        return run_halo(*args, env=isolated_env(PYTHONPATH=pythonpath, HALO_LOAD_PLUGINS=load,
                                                **env))

    return run


def listing(result: Any) -> dict[str, dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return {entry["name"]: entry for entry in json.loads(result.stdout)}


def test_a_broken_plugin_is_reported_and_everything_else_works(halo_with):
    found = listing(halo_with("plugins", "--json", load=None))  # every installed plugin
    broken = found["halo-brokenplug"]
    assert broken["version"] == "0.2.0"
    assert broken["problems"] == [{
        "plugin": "brokenplug",
        "error": "ModuleNotFoundError: No module named 'not_installed_dependency_xyz'",
    }]
    assert broken["components"] == {}
    assert broken["loaded"] is False and found["halo-toyplug"]["loaded"] is True
    assert found["halo-toyplug"]["components"] == {"extractor": ["toy-plug"]}
    assert found["halo-toyplug"]["version"] == "0.3.0"
    assert found["halo-toyplug"]["problems"] == []
    assert "cache" in found["halo-core"]["components"]  # built-ins still load
    assert list(found)[0] == "halo-core"

    hello = halo_with("toy-hello", load=None)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello from toyplug\n"


def test_a_misspelled_hook_is_rejected_by_check_pending(halo_with):
    typo = listing(halo_with("plugins", "--json"))["halo-typoplug"]
    [problem] = typo["problems"]
    assert problem["plugin"] == "typoplug"
    assert "unknown hook 'register_extractor'" in problem["error"]
    assert typo["hooks"] == []  # unregistered: none of its hooks is called
    assert typo["loaded"] is False


def test_a_plugin_failing_to_add_commands_is_reported_on_stderr(halo_with):
    result = halo_with("plugins", "--json")
    assert result.returncode == 0
    assert ("halo: plugin 'badcmds' (halo-badcmds) failed to add its commands, skipping it: "
            "RuntimeError: cannot add commands today") in result.stderr
    assert "Traceback" not in result.stderr
    assert halo_with("toy-hello").stdout == "hello from toyplug\n"  # other plugins' commands work


def test_allow_list_by_entry_point_or_distribution_name(halo_with):
    for allow in ("toyplug", "halo-toyplug", " toyplug , "):
        found = listing(halo_with("plugins", "--json", load=allow))
        assert list(found) == ["halo-core", "halo-toyplug"], allow
    with_all = listing(halo_with("plugins", "--json", "--all", load="toyplug"))
    assert with_all["halo-toyplug"]["loaded"] is True
    assert with_all["halo-brokenplug"]["loaded"] is False
    assert with_all["halo-brokenplug"]["problems"] == []  # never imported


def test_empty_allow_list_loads_built_ins_only(halo_with):
    assert list(listing(halo_with("plugins", "--json", load=""))) == ["halo-core"]
    not_loaded = listing(halo_with("plugins", "--json", "--all", load=""))
    for distribution in PLUGINS:
        assert not_loaded[distribution]["loaded"] is False
    text = halo_with("plugins", "--all", load="")
    assert "halo-toyplug 0.3.0  (not loaded: not in HALO_LOAD_PLUGINS)" in text.stdout


def test_trace_plugins_shows_loading_and_hook_calls(halo_with):
    result = halo_with("plugins", HALO_TRACE_PLUGINS="1")
    trace = [line for line in result.stderr.splitlines() if line.startswith("halo-trace: ")]
    assert "halo-trace: loaded toyplug from halo-toyplug 0.3.0" in trace
    assert any(line.startswith("halo-trace: failed to load brokenplug (halo-brokenplug)")
               for line in trace)
    assert "halo-trace: toyplug.register_extractors(register)" in trace
    assert any("registered extractor 'toy-plug'" in line for line in trace)
    assert "halo-trace: toyplug.register_commands()" in trace
    quiet = halo_with("plugins", HALO_TRACE_PLUGINS=None)
    assert "halo-trace" not in quiet.stderr


def test_plugins_text_output(halo_with):
    result = halo_with("plugins")
    assert result.returncode == 0
    assert "halo-toyplug 0.3.0\n  extractor: toy-plug\n" in result.stdout
    assert "halo-brokenplug 0.2.0  BROKEN\n  problem (brokenplug): ModuleNotFoundError" \
        in result.stdout


BUILT_INS = {
    "extractor": ["subtitles"],
    "chunker": ["fixed", "rules"],
    "embedder": ["hashing"],
    "vector_index": ["numpy"],
    "cache": ["memory", "sqlite"],
    "llm": ["extractive"],
    "executor": ["local"],
}


def test_built_ins_are_listed_under_halo_core(halo_with):
    core = listing(halo_with("plugins", "--json", load=""))["halo-core"]
    assert core["components"] == BUILT_INS
    assert core["problems"] == []
    assert core["version"]


def test_a_plugin_registered_at_run_time_is_seen_and_forgotten(register_plugin):
    from halo_core import ComponentConfig, Extractor, hookimpl

    class Applause(Extractor[ComponentConfig]):
        name = "test-applause"
        provides = "applause"

    class Plugin:
        @hookimpl
        def register_extractors(self, register: Callable[[type], None]) -> None:
            register(Applause)

    assert "test-applause" not in get_registry().components["extractor"]
    name = register_plugin(Plugin())
    assert get_registry().components["extractor"]["test-applause"].cls is Applause
    from halo_core.plugins import pm

    pm.unregister(name=name)
    assert "test-applause" not in get_registry().components["extractor"]


def test_each_new_plugin_is_seen_though_the_one_before_it_was_collected() -> None:
    """CPython hands a collected object's address (its id) to the next one of its size: a
    registry cached by plugin ids served the previous plugin's components to a new plugin."""
    from halo_core import ComponentConfig, Extractor, hookimpl
    from halo_core.testing.plugins import registered

    for n in range(20):

        class Numbered(Extractor[ComponentConfig]):
            name = f"test-numbered-{n}"
            provides = f"numbered_{n}"

        class Plugin:
            @hookimpl
            def register_extractors(self, register: Callable[[type], None]) -> None:
                register(Numbered)  # noqa: B023 - registered before the next loop turn

        with registered(Plugin()):
            assert f"test-numbered-{n}" in get_registry().components["extractor"]


def shadow_redis(tmp_path: Path, source: str) -> Path:
    """A throwaway halo-redis (entry point `redis-shadow`) that shadows the real one, as a newer
    install earlier on sys.path would."""
    site = tmp_path / "site"
    site.mkdir()
    install(site, "halo-redis", "9.9.9", "redis-shadow", "halo_redis_shadow", source)
    return site


def spec_using(tmp_path: Path, sample_dir: Path, components: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"version: 1\nname: x\ninputs: [{sample_dir / 'lecture.mp4'}]\n{components}")
    return spec


def test_a_component_of_a_broken_plugin_says_why_it_is_missing(halo_with, tmp_path, sample_dir):
    spec = spec_using(tmp_path, sample_dir, "cache: {use: redis}\n")
    result = halo_with("validate", str(spec), load="redis-shadow",
                       site=shadow_redis(tmp_path, BROKEN))
    assert result.returncode == 2
    assert (f"{spec}:4:14: cache 'redis' comes from halo-redis, which is installed but failed "
            "to load: ModuleNotFoundError: No module named 'not_installed_dependency_xyz' (fix: "
            "install what it is missing, or reinstall it: pip install --force-reinstall "
            "halo-redis; `halo plugins` shows every plugin's state)") in result.stderr


def test_a_component_of_a_broken_plugin_is_named_at_run_time_too(halo_with, tmp_path,
                                                                sample_dir):
    spec = spec_using(tmp_path, sample_dir, "cache: {use: redis}\n")
    result = halo_with("run", str(spec), "--out", str(tmp_path / "runs"), load="redis-shadow",
                       site=shadow_redis(tmp_path, BROKEN))
    assert result.returncode == 2
    assert "cache 'redis' comes from halo-redis, which is installed but failed to load" \
        in result.stderr
    assert "unknown cache" not in result.stderr


def test_a_component_of_a_filtered_plugin_names_the_filter(halo_with, tmp_path, sample_dir):
    spec = spec_using(tmp_path, sample_dir, "cache: {use: redis}\n")
    result = halo_with("validate", str(spec), load="toyplug", site=shadow_redis(tmp_path, GOOD))
    assert result.returncode == 2
    assert (f"{spec}:4:14: cache 'redis' comes from halo-redis, which is installed but not "
            "loaded: HALO_LOAD_PLUGINS='toyplug' does not name it (fix: add it to the allow-list "
            "(HALO_LOAD_PLUGINS=toyplug,halo-redis), or unset HALO_LOAD_PLUGINS to load every "
            "installed plugin)") in result.stderr
    assert "pip install" not in result.stderr


def test_an_unknown_component_names_the_broken_and_filtered_plugins(halo_with, tmp_path,
                                                                    sample_dir):
    spec = spec_using(tmp_path, sample_dir, "extractors:\n  - use: claps\n")
    result = halo_with("validate", str(spec), load="brokenplug")
    assert result.returncode == 2
    assert "unknown extractor 'claps'." in result.stderr
    assert ("Installed plugins that failed to load (one may provide it): halo-brokenplug."
            in result.stderr)
    assert "Installed plugins not loaded (HALO_LOAD_PLUGINS='brokenplug'): " in result.stderr
    assert "halo-toyplug" in result.stderr
    assert "`halo plugins` shows why each failed" in result.stderr
    assert "pip install" not in result.stderr


def test_a_plugin_adds_its_commands_to_the_halo_group(register_plugin):
    import click

    from halo_core import hookimpl
    from halo_core.cli import HaloGroup

    class Plugin:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            @cli.command("test-greet")
            def greet() -> None:
                click.echo("hi")

    register_plugin(Plugin())
    group = HaloGroup(name="halo")
    group.add_plugin_commands()
    assert "test-greet" in group.commands
