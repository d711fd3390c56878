"""Plugin loading and the component registry.

Built-in components are plugins too (DEFAULT_PLUGINS), registered through the same hooks as
third-party ones. Installed plugins are found through the `halo` entry-point group; each one is
loaded and called in isolation, so a broken plugin is reported (`halo plugins`) and skipped,
never fatal for the others.

Environment:
  HALO_LOAD_PLUGINS   unset: load every installed plugin. Set: a comma-separated allow-list of
                      entry-point or distribution names; empty: built-ins only.
  HALO_TRACE_PLUGINS  1: print every hook call and what it registered to stderr.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .components import Component, Kind
from .errors import HaloError
from .kinds import BY_KIND, KIND_NAMES, KINDS

DEFAULT_PLUGINS = (
    "halo_core.builtins.subtitles",
    "halo_core.builtins.chunkers",
    "halo_core.builtins.extractive",
    "halo_core.builtins.caches",
    "halo_core.builtins.hashing",
    "halo_core.builtins.numpy_index",
    "halo_core.builtins.local_executor",
)
CORE_DISTRIBUTION = "halo-core"
ENTRY_POINT_GROUP = "halo"

pm = pluggy.PluginManager("halo")
pm.add_hookspecs(hookspecs)


@dataclass(frozen=True)
class PluginSource:
    plugin: str
    distribution: str
    version: str


@dataclass(frozen=True)
class ComponentInfo:
    kind: Kind
    name: str
    cls: type[Component[Any]]
    source: PluginSource

    @property
    def distribution(self) -> str:
        return self.source.distribution


@dataclass(frozen=True)
class PluginProblem:
    plugin: str
    distribution: str
    error: str
    failed: bool = True
    """False for a notice that broke nothing (a component name provided twice)."""


@dataclass
class Registry:
    components: dict[Kind, dict[str, ComponentInfo]] = field(
        default_factory=lambda: {kind: {} for kind in KIND_NAMES}
    )
    problems: list[PluginProblem] = field(default_factory=list)

    def names(self, kind: Kind) -> list[str]:
        return sorted(self.components[kind])

    def get(self, kind: Kind, name: str) -> ComponentInfo:
        try:
            return self.components[kind][name]
        except KeyError:
            what, fix = missing_component(self, kind, name)
            raise HaloError(what, fix=fix) from None

    def build(self, kind: Kind, name: str, options: dict[str, Any] | None = None) -> Any:
        return self.get(kind, name).cls.from_options(options)


_sources: dict[str, PluginSource] = {}
_load_problems: list[PluginProblem] = []


def _core_version() -> str:
    try:
        return metadata.version(CORE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _trace(message: str) -> None:
    if os.environ.get("HALO_TRACE_PLUGINS") == "1":
        print(f"halo-trace: {message}", file=sys.stderr)


def _allowed(entry_point: metadata.EntryPoint) -> bool:
    allow = os.environ.get("HALO_LOAD_PLUGINS")
    if allow is None:
        return True
    names = {n.strip() for n in allow.split(",") if n.strip()}
    dist = entry_point.dist.name if entry_point.dist else ""
    return entry_point.name in names or dist in names


@cache
def load_plugins() -> None:
    """Register the built-ins and every allowed installed plugin, once per process."""
    core = PluginSource("halo-core", CORE_DISTRIBUTION, _core_version())
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        _sources[module_name] = core
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if not _allowed(entry_point):
            continue
        dist = entry_point.dist
        source = PluginSource(
            entry_point.name, dist.name if dist else "?", dist.version if dist else "?"
        )
        try:
            pm.register(entry_point.load(), name=entry_point.name)
        except Exception as exc:  # a broken plugin must not break halo
            _load_problems.append(
                PluginProblem(entry_point.name, source.distribution, _describe(exc))
            )
            _trace(f"failed to load {entry_point.name} ({source.distribution}): {exc!r}")
            continue
        _sources[entry_point.name] = source
        _trace(f"loaded {entry_point.name} from {source.distribution} {source.version}")
    _drop_plugins_with_unknown_hooks()


def _drop_plugins_with_unknown_hooks() -> None:
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            source = _source_of(name)
            _load_problems.append(PluginProblem(name, source.distribution, str(exc)))
            pm.unregister(exc.plugin)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _source_of(plugin_name: str) -> PluginSource:
    if plugin_name in _sources:
        return _sources[plugin_name]
    return PluginSource(plugin_name, "(registered at run time)", "")


def call_each(
    hook_name: str, on_error: Callable[[str, BaseException], None], **kwargs: Any
) -> None:
    """Call every implementation of a hook, in registration order, each in isolation."""
    caller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        _trace(f"{impl.plugin_name}.{hook_name}()")
        try:
            _call(hook_name, impl, **kwargs)
        except Exception as exc:
            on_error(impl.plugin_name, exc)


def _call(hook_name: str, impl: pluggy.HookImpl, **kwargs: Any) -> None:
    """Call one plugin's implementation of a hook, alone, through pluggy (so pluggy's tracing and
    hook-call monitoring see it, as they see any hook call)."""
    others = [plugin for plugin in pm.get_plugins() if plugin is not impl.plugin]
    pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


def _collect(registry: Registry) -> None:
    def failed(plugin_name: str, exc: BaseException) -> None:
        source = _source_of(plugin_name)
        registry.problems.append(PluginProblem(plugin_name, source.distribution, _describe(exc)))

    for row in KINDS:
        hook_name = row.hook
        caller = getattr(pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            source = _source_of(impl.plugin_name)
            register = _registrar(registry, row.kind, source)
            _trace(f"{impl.plugin_name}.{hook_name}(register)")
            try:
                _call(hook_name, impl, register=register)
            except Exception as exc:
                failed(impl.plugin_name, exc)


def _registrar(registry: Registry, kind: Kind, source: PluginSource) -> Callable[[type[Any]], None]:
    base = BY_KIND[kind].base

    def register(cls: type[Any]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(
                f"{BY_KIND[kind].hook} got {cls!r}, which is not a {base.__name__} subclass"
            )
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__qualname__} has no `name`")
        previous = registry.components[kind].get(name)
        if previous is not None and previous.cls is not cls:
            registry.problems.append(
                PluginProblem(
                    source.plugin,
                    source.distribution,
                    f"{kind} {name!r} is also provided by {previous.distribution}; "
                    f"using the one from {source.distribution}",
                    failed=False,
                )
            )
        registry.components[kind][name] = ComponentInfo(kind, name, cls, source)
        _trace(f"  registered {kind} {name!r} ({cls.__module__}.{cls.__qualname__})")

    return register


# Keyed by the plugin objects themselves, not their ids: the key holds them, so a plugin
# unregistered and collected cannot hand its id to a new one and be served its registry.
_registry_cache: dict[frozenset[object], Registry] = {}


def get_registry() -> Registry:
    """Every component registered by the loaded plugins (rebuilt when plugins change)."""
    load_plugins()
    key = frozenset(pm.get_plugins())
    if key not in _registry_cache:
        _registry_cache.clear()
        registry = Registry(problems=list(_load_problems))
        _collect(registry)
        _registry_cache[key] = registry
    return _registry_cache[key]


def not_loaded_entry_points() -> list[metadata.EntryPoint]:
    """Installed `halo` entry points that HALO_LOAD_PLUGINS keeps from loading."""
    return [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if not _allowed(ep)]


def plugin_sources() -> dict[str, PluginSource]:
    """Every registered plugin's source, by plugin name (built-ins, then installed)."""
    load_plugins()
    return {name: _source_of(name) for name, _ in pm.list_name_plugin()}


def _unknown_message(registry: Registry, kind: Kind, name: str) -> str:
    known = registry.names(kind)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    label, plural = BY_KIND[kind].label, BY_KIND[kind].plural
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    other = next((k for k in KIND_NAMES if k != kind and name in registry.components[k]), None)
    if other:
        hint += f" ({name!r} is a {other.replace('_', ' ')}, not a {label}.)"
    provider = KNOWN_PROVIDERS.get(name)
    if provider and not close and not _installed(provider):
        hint += f" It is provided by the {provider} plugin: pip install {provider}."
    return f"unknown {label} {name!r}.{hint} Installed {plural}: {', '.join(known) or '(none)'}."


def missing_component(registry: Registry, kind: Kind, name: str) -> tuple[str, str | None]:
    """(what, fix) for a component name no loaded plugin registered.

    When the plugin that provides it is installed but failed to load, or HALO_LOAD_PLUGINS keeps
    it from loading, that is what is said (with the error or the filter, and the fix), never a
    `pip install` of what is already installed. A name no known plugin provides is "unknown",
    with close matches, and the broken or filtered plugins that might provide it.
    """
    label = kind.replace("_", " ")
    provider = KNOWN_PROVIDERS.get(name)
    if provider:
        failures = [p for p in registry.problems if p.failed and p.distribution == provider]
        if failures:
            return (
                f"{label} {name!r} comes from {provider}, which is installed but failed to "
                f"load: {failures[0].error}",
                f"install what it is missing, or reinstall it: pip install --force-reinstall "
                f"{provider}; `halo plugins` shows every plugin's state",
            )
        if provider in _filtered_distributions():
            return (
                f"{label} {name!r} comes from {provider}, which is installed but not loaded: "
                f"{_filter_text()} does not name it",
                _filter_fix([provider]),
            )
    what = _unknown_message(registry, kind, name)
    if difflib.get_close_matches(name, registry.names(kind), n=1, cutoff=0.6):
        return what, None
    broken = sorted({p.distribution for p in registry.problems if p.failed})
    filtered = sorted(_filtered_distributions() - {CORE_DISTRIBUTION})
    fixes = []
    if broken:
        what += (f" Installed plugins that failed to load (one may provide it): "
                 f"{', '.join(broken)}.")
        fixes.append("`halo plugins` shows why each failed")
    if filtered:
        what += f" Installed plugins not loaded ({_filter_text()}): {', '.join(filtered)}."
        fixes.append(_filter_fix(filtered))
    return what, "; ".join(fixes) or None


def _installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def _filtered_distributions() -> set[str]:
    return {ep.dist.name for ep in not_loaded_entry_points() if ep.dist is not None}


def _filter_text() -> str:
    return f"HALO_LOAD_PLUGINS={os.environ.get('HALO_LOAD_PLUGINS', '')!r}"


def _filter_fix(distributions: list[str]) -> str:
    allow = [n.strip() for n in os.environ.get("HALO_LOAD_PLUGINS", "").split(",") if n.strip()]
    return (f"add it to the allow-list (HALO_LOAD_PLUGINS={','.join([*allow, *distributions])}), "
            "or unset HALO_LOAD_PLUGINS to load every installed plugin")


# Where components named in the docs come from, so a spec naming one that is not installed gets
# the exact install command.
KNOWN_PROVIDERS: dict[str, str] = {
    "faster-whisper": "halo-whisper",
    "openai-whisper": "halo-whisper",
    "voice-clusters": "halo-whisper",
    "pyannote": "halo-whisper",
    "scenedetect": "halo-scenedetect",
    "transnetv2": "halo-scenedetect",
    "sentence-transformers": "halo-semantic",
    "topics": "halo-semantic",
    "faiss": "halo-semantic",
    "redis": "halo-redis",
    "gemini": "halo-gemini",
    "ppo": "halo-rl",
}
