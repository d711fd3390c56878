"""Dependencies between things that declare what they read, ordered so each comes after its
inputs. Generic (the stages and the graph itself: `stages.py`): the one place they are checked —
a stage reading something no stage produces, two stages producing the same thing, a cycle.
`halo validate` reports these at the spec's lines (`build.py`); `order` raises them. `blocked`
works out which nodes cannot run when some cannot (an input lacking what they need).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .errors import HaloError


@dataclass(frozen=True)
class Node:
    """Something in the graph: `name` is what it produces, `inputs` the names it reads."""

    name: str
    inputs: tuple[str, ...]

    @property
    def role(self) -> str:
        """What the user calls what computes it, e.g. `extractor` (plural: role + s)."""
        return "stage"

    @property
    def label(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"{self.role} {self.label!r}"


N = TypeVar("N", bound=Node)


@dataclass(frozen=True)
class DependencyProblem:
    node: Node
    what: str
    missing: str | None = None
    """the input nothing produces, when that is the problem"""


def dependency_problems(nodes: Sequence[Node]) -> list[DependencyProblem]:
    """Duplicate producers, inputs nothing produces, and the first cycle, in that order."""
    problems: list[DependencyProblem] = []
    producers: dict[str, Node] = {}
    for node in nodes:
        if node.name in producers:
            problems.append(DependencyProblem(node, f"{producers[node.name].describe()} and "
                                                    f"{node.describe()} both provide the "
                                                    f"{node.name!r} track"))
        producers.setdefault(node.name, node)
    for node in nodes:
        for name in node.inputs:
            if name not in producers or producers[name] is node:
                problems.append(DependencyProblem(
                    node, f"{node.describe()} requires the {name!r} track, which no other "
                          "extractor in this spec provides", missing=name))
    cycle = _cycle(nodes, producers)
    if cycle:
        names = " -> ".join(n.label for n in cycle)
        problems.append(DependencyProblem(cycle[0], f"{cycle[0].role}s depend on each other "
                                                    f"in a cycle: {names}"))
    return problems


def _cycle(nodes: Sequence[Node], producers: dict[str, Node]) -> list[Node]:
    state: dict[int, int] = {}  # 1 visiting, 2 done
    stack: list[Node] = []

    def visit(node: Node) -> list[Node]:
        state[id(node)] = 1
        stack.append(node)
        for name in node.inputs:
            upstream = producers.get(name)
            if upstream is None or upstream is node:
                continue
            if state.get(id(upstream)) == 1:
                return [*stack[stack.index(upstream):], upstream]
            if id(upstream) not in state and (found := visit(upstream)):
                return found
        stack.pop()
        state[id(node)] = 2
        return []

    for node in nodes:
        if id(node) not in state and (found := visit(node)):
            return found
    return []


def order(nodes: Iterable[N]) -> list[N]:
    """`nodes` so that each comes after those it reads; in passes, keeping the given order
    among nodes that are ready together. HaloError on any dependency problem."""
    nodes = list(nodes)
    problems = dependency_problems(nodes)
    if problems:
        raise HaloError("; ".join(p.what for p in problems), where="pipeline spec",
                        fix="run `halo validate SPEC`: it shows where in the spec and the fix")
    ordered: list[N] = []
    placed: set[str] = set()
    remaining = nodes
    while remaining:
        ready = [n for n in remaining if all(i in placed for i in n.inputs)]
        ordered += ready
        placed |= {n.name for n in ready}
        remaining = [n for n in remaining if n not in ready]
    return ordered


@dataclass(frozen=True)
class Blocked:
    """Why a node cannot run: its own `unmet` need, or `upstream`, an input that is blocked."""

    node: Node
    unmet: str | None = None
    upstream: str | None = None


def blocked(ordered: Sequence[N], unmet: Mapping[str, str]) -> dict[str, Blocked]:
    """By name, every node of `ordered` (as `order` returns them) that cannot run: those named in
    `unmet` (name -> what they lack), and, transitively, those reading one that cannot; for the
    latter, the first such input."""
    found: dict[str, Blocked] = {}
    for node in ordered:
        if node.name in unmet:
            found[node.name] = Blocked(node, unmet=unmet[node.name])
        elif upstream := next((i for i in node.inputs if i in found), None):
            found[node.name] = Blocked(node, upstream=upstream)
    return found
