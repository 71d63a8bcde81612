"""The domains' shape (issue 11): no import cycle inside a package, and no vendor named in the
domains or the conversation — channel names are data there, from `core.notices`.

Both checks read the source with `ast`, so they also see imports inside functions (the usual
patch for a cycle) and names in code that a test run never reaches.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CYCLE_FREE = ("membership", "referrals", "locations", "handlers")
VENDOR_FREE = ("membership", "referrals", "locations", "handlers")
VENDOR = re.compile(r"telegram|wecom|wechat", re.IGNORECASE)

# Where a vendor's name is part of a user-facing format that must stay byte-compatible, or of
# code another owner of issue 11 is changing. (file, the text that names it) — each entry is
# one exact identifier or string, so a new mention anywhere else still fails.
ALLOWED: dict[tuple[str, str], str] = {
    # The union CSV's column names (documented for unions; the file format is kept).
    ("membership/_union_file.py", "telegram_chat_id"): "CSV column",
    ("membership/_union_file.py", "telegram"): "CSV column alias",
    ("membership/_union_file.py", "telegram群"): "CSV column alias",
    ("membership/_union_file.py", "wecom_robot_key"): "CSV column",
    ("membership/_union_file.py", "TELEGRAM"): "the column's channel (core.notices)",
    ("membership/_union_file.py", "WECOM"): "the column's channel (core.notices)",
    ("membership/_union_file.py", "Telegram 群号“"): "message about the CSV column",
    # `yizhan staff add --telegram-user` (the CLI is kept byte-compatible).
    ("membership/cli.py", "--telegram-user"): "CLI flag",
    ("membership/cli.py", "Their Telegram user id (for chat buttons)."): "CLI help",
    ("membership/cli.py", "telegram_user"): "CLI flag's parameter",
    ("membership/cli.py", "TELEGRAM"): "the flag's channel (core.notices)",
    # handlers: the Message channel literal (its documentation names the shipped channels).
    ("handlers/_messages.py", "telegram"): "Channel literal",
    ("handlers/_messages.py", "wechat"): "Channel literal",
}


def _modules(package: str) -> dict[str, Path]:
    base = ROOT / package
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for path in sorted(base.rglob("*.py"))
        if ".venv" not in path.parts
    }


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the same package that `module` imports (anywhere in the file)."""
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", CYCLE_FREE)
def test_no_import_cycle_inside_the_package(package: str) -> None:
    modules = _modules(package)
    graph = {m: _imports(m, p, set(modules)) for m, p in modules.items()}
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or bare string statements."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_string and isinstance(node.value.value, str):  # type: ignore[attr-defined]
            skip.add(id(node.value))  # type: ignore[attr-defined]
    return skip


def _named(tree: ast.AST) -> list[str]:
    """Every identifier and string in the code (not comments, not docstrings)."""
    skip = _docstrings(tree)
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.append(node.id)
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append(node.name)
        elif isinstance(node, ast.arg):
            out.append(node.arg)
        elif isinstance(node, ast.alias):
            out.extend(filter(None, (node.name, node.asname)))
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.keyword) and node.arg:
            out.append(node.arg)
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        ):
            out.append(node.value)
    return out


def _vendor_mentions(package: str) -> list[tuple[str, str]]:
    found = []
    for path in _modules(package).values():
        rel = path.relative_to(ROOT).as_posix()
        for text in _named(ast.parse(path.read_text(encoding="utf-8"))):
            if VENDOR.search(text) and (rel, text) not in ALLOWED:
                found.append((rel, text))
    return found


@pytest.mark.parametrize("package", VENDOR_FREE)
def test_no_vendor_named_outside_comments_and_docstrings(package: str) -> None:
    assert _vendor_mentions(package) == []


def test_the_vendor_check_sees_a_vendor() -> None:
    tree = ast.parse('"""Telegram is fine here."""\nkind = "wecom_robot"  # and here\n')
    assert [t for t in _named(tree) if VENDOR.search(t)] == ["wecom_robot"]
