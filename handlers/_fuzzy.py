"""Matching what riders write against a phrase table, robust to how they write it.

Riders type fast with gloves on, speak to voice input in a noisy street, write dialect, add
emoji and switch keyboards mid-sentence. A phrase matches a text in one of three ways:

- exactly: after `normalize` (full-width → ASCII, lower case, emoji and punctuation dropped,
  the erhua 儿 dropped: "关门儿了" → "关门了"), the phrase is part of the text; English phrases
  match whole words, a word of five letters or more with one typo ("nearbi", "statoin");
- by sound: the phrase's pinyin (pypinyin, tones dropped, zh/z ch/c sh/s n/l en/eng in/ing
  taken as one, as dialect speakers and voice input mix them) is a run of the text's pinyin —
  "附近驿栈", "加入公会", "欠新", "关们了", and traditional characters ("驛站");
- fuzzily: a phrase of four syllables or more is one syllable off a run of the text
  (rapidfuzz's Levenshtein distance over syllables: "怎么人会", "附近的驿站"). Shorter phrases
  never match fuzzily: one syllable changes their meaning ("没开门" / "几点开门").

`exact` and `sound` are certain; `fuzzy` is tried by callers only when nothing is certain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from pypinyin import Style, lazy_pinyin
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

V = TypeVar("V", bound=Hashable)

MAX_CHARS = 200  # a rider's request is a sentence; longer texts are read from the start
FUZZY_MIN_SYLLABLES = 4
ASCII_FUZZY_MIN = 5  # letters in an English word before one typo is forgiven

_HAN = re.compile(r"[\u3400-\u9fff]")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_ERHUA = re.compile(r"(?<=[\u3400-\u9fff])儿(?![子童女歌科])")
_ZH = (("zh", "z"), ("ch", "c"), ("sh", "s"))


def normalize(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC), lower case, anything that is neither a
    letter nor a digit (emoji, punctuation, symbols) a space, the erhua 儿 dropped."""
    folded = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded)
    return " ".join(_ERHUA.sub("", kept).split())


def _sound(syllable: str) -> str:
    """A syllable as ears that mix zh/z, ch/c, sh/s, n/l, en/eng and in/ing hear it."""
    for retroflex, flat in _ZH:
        if syllable.startswith(retroflex):
            syllable = flat + syllable[2:]
            break
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if len(syllable) >= 3 and syllable.endswith("ng") and syllable[-3] in "ei":
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=8192)  # a few thousand characters make up what riders write
def _char_sound(char: str) -> str:
    return _sound(lazy_pinyin(char, style=Style.NORMAL)[0])


def sounds(text: str) -> tuple[str, ...]:
    """The normalized text's syllables, each character's usual reading (phrases are read the
    same way, so a reading that depends on its neighbours never matters); a run of English or
    digits is one item that no syllable equals, so a phrase never matches across it. Spaces
    between characters are ignored ("附近 驿站" reads as "附近驿站")."""
    found: list[str] = []
    for run in _RUNS.findall(text):
        if _HAN.match(run):
            found.extend(map(_char_sound, run))
        else:
            found.append(f"#{run}")
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a text looks like to the matcher, computed once per text."""

    norm: str  # normalized, words separated by single spaces
    compact: str  # normalized without spaces: Chinese phrases are looked for in it
    words: tuple[str, ...]  # English words and numbers
    sounds: tuple[str, ...]


@lru_cache(maxsize=2048)
def read(text: str) -> Reading:
    norm = normalize(text)
    return Reading(norm, norm.replace(" ", ""), tuple(_ASCII_WORD.findall(norm)), sounds(norm))


def word_near(typed: str, wanted: str) -> bool:
    if typed == wanted:
        return True
    if len(wanted) < ASCII_FUZZY_MIN or abs(len(typed) - len(wanted)) > 1:
        return False
    return OSA.distance(typed, wanted, score_cutoff=1) <= 1  # one typo, a swap included


class PhraseTable(Generic[V]):
    """Phrases, each standing for a value (an intent, a service code); see the module doc."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self._han: list[tuple[str, V]] = []  # normalized phrases with Chinese in them
        self._english: list[tuple[tuple[str, ...], V]] = []  # phrases of several words
        self._english_words: dict[str, V] = {}  # one-word phrases
        self._long_words: list[str] = []  # the one-word phrases that forgive a typo
        self._by_sound: dict[tuple[str, ...], list[V]] = {}
        # long phrases, with how many of their distinct syllables a text must share
        self._long: list[tuple[tuple[str, ...], frozenset[str], V]] = []
        for phrase, value in entries:
            norm = normalize(phrase)
            if not norm:
                continue
            if not _HAN.search(norm):
                words = tuple(norm.split())
                if len(words) > 1:
                    self._english.append((words, value))
                elif words[0] not in self._english_words:
                    self._english_words[words[0]] = value
                    if len(words[0]) >= ASCII_FUZZY_MIN:
                        self._long_words.append(words[0])
                continue
            self._han.append((norm.replace(" ", ""), value))
            heard = sounds(norm)
            if len(heard) >= 2 and all(not s.startswith("#") for s in heard):
                self._by_sound.setdefault(heard, []).append(value)
                if len(heard) >= FUZZY_MIN_SYLLABLES:
                    self._long.append((heard, frozenset(heard), value))
        self._lengths = sorted({len(k) for k in self._by_sound})

    def exact(self, reading: Reading) -> dict[V, str]:
        """Values whose phrase is in the text (Chinese as written, English as words), with the
        phrase that matched."""
        found: dict[V, str] = {}
        for phrase, value in self._han:
            if value not in found and phrase in reading.compact:
                found[value] = phrase
        words = reading.words
        for word in words:
            wanted = self._english_words.get(word)
            if wanted is None and len(word) >= ASCII_FUZZY_MIN - 1:
                near = process.extractOne(
                    word, self._long_words, scorer=OSA.distance, score_cutoff=1
                )
                wanted = self._english_words[near[0]] if near else None
            if wanted is not None and wanted not in found:
                found[wanted] = word
        for phrase_words, value in self._english:
            if value in found:
                continue
            n = len(phrase_words)
            for i in range(len(words) - n + 1):
                if all(
                    word_near(w, p) for w, p in zip(words[i : i + n], phrase_words, strict=True)
                ):
                    found[value] = " ".join(phrase_words)
                    break
        return found

    def by_sound(self, reading: Reading) -> set[V]:
        """Values whose phrase sounds like a run of the text."""
        heard, found = reading.sounds, set[V]()
        for n in self._lengths:
            for i in range(len(heard) - n + 1):
                found.update(self._by_sound.get(heard[i : i + n], ()))
        return found

    def certain(self, reading: Reading) -> set[V]:
        return set(self.exact(reading)) | self.by_sound(reading)

    def fuzzy(self, reading: Reading) -> set[V]:
        """Values whose long phrase is one syllable off a run of the text."""
        heard, found = reading.sounds, set[V]()
        present = set(heard)
        for phrase, distinct, value in self._long:
            # One edit leaves all but one of the phrase's syllables in the text.
            if value in found or len(distinct - present) > 1:
                continue
            n = len(phrase)
            for size in (n - 1, n, n + 1):
                if any(
                    Levenshtein.distance(heard[i : i + size], phrase, score_cutoff=1) <= 1
                    for i in range(len(heard) - size + 1)
                ):
                    found.add(value)
                    break
        return found
