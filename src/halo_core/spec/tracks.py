"""Requires/provides between a spec's extractors: every required track has a provider, and no
extractors depend on each other in a cycle."""

from __future__ import annotations

from ..plugins import ComponentInfo, Registry
from .problems import Locations, NodePath, problem


def track_problems(locations: Locations, registry: Registry,
                   known: dict[NodePath, ComponentInfo]) -> list[str]:
    """Every track an extractor requires is provided by another extractor, with no cycle."""
    problems: list[str] = []
    registry_extractors = registry.components["extractor"]
    extractors = {path: info for path, info in known.items() if path[0] == "extractors"}
    providers: dict[str, list[str]] = {}
    for info in extractors.values():
        providers.setdefault(str(getattr(info.cls, "provides", "")), []).append(info.name)
    for path, info in extractors.items():
        for track in getattr(info.cls, "requires", ()):
            if [n for n in providers.get(track, []) if n != info.name]:
                continue
            installed = sorted(n for n, e in registry_extractors.items()
                               if getattr(e.cls, "provides", None) == track and n != info.name)
            others = f" (also provided by: {', '.join(installed[1:])})" if installed[1:] else ""
            fix = (f"add an extractor that provides it: `- use: {installed[0]}`{others}"
                   if installed else
                   "no installed extractor provides it: install a plugin that does "
                   "(`halo plugins` lists what is installed), or remove this extractor")
            problems.append(problem(locations.of((*path, "use")),
                                    f"extractor {info.name!r} requires the {track!r} track, "
                                    "which no other extractor in this spec provides", fix))
    cycle = _find_cycle({info.name: (str(getattr(info.cls, "provides", "")),
                                     tuple(getattr(info.cls, "requires", ())))
                         for info in extractors.values()})
    if cycle:
        first = next(p for p, i in extractors.items() if i.name == cycle[0])
        problems.append(problem(locations.of((*first, "use")),
                                "extractors depend on each other in a cycle: "
                                + " -> ".join(cycle), "remove one of them"))
    return problems


def _find_cycle(graph: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    """A cycle among extractors (name -> (provides, requires)), as names, or []."""
    by_track: dict[str, list[str]] = {}
    for name, (provides, _) in graph.items():
        by_track.setdefault(provides, []).append(name)
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        stack.append(name)
        for track in graph[name][1]:
            for upstream in by_track.get(track, []):
                if upstream == name:
                    continue
                if state.get(upstream) == 1:
                    return [*stack[stack.index(upstream):], upstream]
                if upstream not in state and (found := visit(upstream)):
                    return found
        stack.pop()
        state[name] = 2
        return []

    for name in graph:
        if name not in state and (found := visit(name)):
            return found
    return []
