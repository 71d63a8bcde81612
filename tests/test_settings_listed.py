"""Every setting is documented: an operator reads `.env.example`, not the source. A setting
added to `core.Settings` without a line there fails here."""

from __future__ import annotations

import re
from pathlib import Path

from core import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_every_setting_is_in_env_example() -> None:
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(encoding="utf-8"), re.M))
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in listed)
    assert missing == []
