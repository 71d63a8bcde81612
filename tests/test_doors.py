"""Packages meet only at their doors: a channel that reaches into `handlers`' private modules
breaks silently when the conversation rearranges its insides (and skips what the door
documents). Checked on the source, the way a reviewer would."""

from __future__ import annotations

import ast
from pathlib import Path

import handlers

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ("bot", "miniprogram_api", "admin_api", "console", "yizhan", "core")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    out: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
    return out


def test_channels_import_handlers_only_through_its_door() -> None:
    private = []
    for package in CHANNELS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, module, names in _imports(path):
                if module.split(".")[0] != "handlers":
                    continue
                if any(part.startswith("_") for part in module.split(".")[1:]):
                    private.append(f"{path.relative_to(ROOT)}:{line} {module}")
                missing = [n for n in names if module == "handlers" and n not in handlers.__all__]
                if missing:
                    private.append(f"{path.relative_to(ROOT)}:{line} handlers.{missing}")
    assert private == []


def test_door_offers_what_channels_need() -> None:
    for name in (
        "Services",
        "SERVICES_KEY",
        "Message",
        "user_key",
        "remember_location",
        "last_location",
    ):
        assert name in handlers.__all__, name
    assert handlers.user_key("wechat", "o1") == "wechat:o1"
