"""Languages: Chinese is the source language (message ids are the Chinese text); other languages
come from gettext catalogues in `handlers/locale/<lang>/LC_MESSAGES/messages.po`.

The .po files are compiled with Babel the first time a language is used, so the source tree and
a fresh `pip install -e .` need no build step and there is no stale .mo to forget.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh"

Translator = Callable[[str], str]


@lru_cache(maxsize=256)  # on every message; channels send a handful of distinct tags
def language_of(tag: str | None) -> str:
    """The catalogue for a channel's language tag: "en-US" → "en"; unknown or Chinese → "zh"."""
    base = (tag or "").lower().replace("_", "-").split("-")[0]
    return base if base in available_languages() else DEFAULT_LANGUAGE


@lru_cache(maxsize=1)
def available_languages() -> frozenset[str]:
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return frozenset(found | {DEFAULT_LANGUAGE})


@lru_cache(maxsize=8)
def _catalogue(language: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(tag: str | None) -> Translator:
    """`t("附近没有开放的驿站")` in the user's language (the Chinese text when untranslated)."""
    return _catalogue(language_of(tag)).gettext
