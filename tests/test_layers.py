"""The layer picture of docs/CONTRIBUTING.md, checked on the source the way a reviewer would:

    yizhan  →  bot, miniprogram_api, admin_api, console  →  handlers  →  referrals → membership → locations
            →  integrations  →  core

A package may import its own layer's packages only where the picture draws an arrow (the
domains, in that order; adapters never import each other), and any package below it. Imports
under `if TYPE_CHECKING:` count too: a type a layer may not see is a design smell all the same.
`__main__.py` files are process entry points, not part of any package's import graph
(`python -m core` starts the `yizhan` command, as the deployment contract says).

Inside each package, modules import each other without a cycle: a cycle means two modules
that cannot be read (or loaded) one without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS: tuple[tuple[str, ...], ...] = (
    ("yizhan",),
    ("bot", "miniprogram_api", "admin_api", "console"),
    ("handlers",),
    ("referrals", "membership", "locations"),  # each may import the ones after it
    ("integrations",),
    ("core",),
)
ORDERED_LAYERS = {3}  # the domains: an order within the layer; other layers: no sideways arrows
LAYER_OF = {package: i for i, layer in enumerate(LAYERS) for package in layer}
PROJECT = set(LAYER_OF)


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name == "__main__.py":
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or node.level:
                # `from . import _menu` imports the submodule `_menu`.
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists()
                    yield node.lineno, candidate if is_module else target
            else:
                yield node.lineno, target


def _may_import(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    mine, theirs = LAYER_OF[importer], LAYER_OF[imported]
    if mine != theirs:
        return theirs > mine
    if mine in ORDERED_LAYERS:
        order = LAYERS[mine]
        return order.index(imported) > order.index(importer)
    return False


@pytest.mark.parametrize("package", sorted(PROJECT))
def test_imports_follow_the_layer_picture(package: str) -> None:
    wrong = []
    for module, path in _modules(package):
        for line, target in _imports(module, path):
            top = target.split(".")[0]
            if top in PROJECT and not _may_import(package, top):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(PROJECT))
def test_no_import_cycle_inside_a_package(package: str) -> None:
    graph: dict[str, set[str]] = {}
    for module, path in _modules(package):
        graph[module] = {
            target
            for _, target in _imports(module, path)
            # A submodule importing its own package's door is how a door is bypassed in
            # reverse; imports of the package itself are left out so the door's own
            # re-exports do not count as a cycle.
            if target.startswith(f"{package}.") and target != module
        }
    cycle = _find_cycle(graph)
    assert cycle == [], " → ".join(cycle)


def _find_cycle(graph: dict[str, set[str]]) -> list[str]:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done or node not in graph:
            return []
        visiting.append(node)
        for nxt in sorted(graph[node]):
            found = visit(nxt)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return []

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return []


def test_the_checker_catches_a_wrong_arrow_and_a_cycle() -> None:
    """The rules above fail when they should (a checker that cannot fail checks nothing)."""
    assert not _may_import("core", "handlers")
    assert not _may_import("locations", "referrals")
    assert not _may_import("miniprogram_api", "bot")
    assert _may_import("referrals", "membership") and _may_import("bot", "core")
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) == []
