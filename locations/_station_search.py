"""Finding listed stations by words and area in the finder's columns, for staff tables and maps.

A `LIKE '%word%'` over 200,000 rows took over a second per page (bench/console.py); the
finder already holds every listed station's name, address and code as one string per column
with offsets (`_columns.py`), so a word is found with `str.find` over that string and the hits
are mapped back to stations with a binary search. Areas are matched on the shared league and
county numbers. Revoked stations are not listed here (the database has them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._columns import _TEXTS, StationColumns

_SEARCHED = ("name", "address", "code")


def _rows_with(columns: StationColumns, column: str, word: str) -> np.ndarray:
    """Storage rows whose `column` holds `word` (a boolean array over the storage)."""
    storage = columns._storage
    c = _TEXTS.index(column)
    text, starts = storage.texts[c], storage.starts[:, c]
    found = np.zeros(len(storage.ids), bool)
    hits: list[int] = []
    at = text.find(word)
    while at >= 0:
        hits.append(at)
        at = text.find(word, at + 1)
    if hits:
        offsets = np.array(hits, np.int64)
        rows = np.searchsorted(starts, offsets, side="right") - 1
        whole = offsets + len(word) <= starts[rows + 1]  # not across two stations' texts
        found[rows[whole]] = True
    return found


def _area_mask(columns: StationColumns, areas: Sequence[tuple[str, str]]) -> np.ndarray:
    league_codes, leagues = columns.shared("league")
    county_codes, counties = columns.shared("county")
    mask = np.zeros(len(columns), bool)
    for league, county in areas:
        in_league = np.isin(league_codes, [i for i, v in enumerate(leagues) if v == league])
        if county:
            in_league &= np.isin(county_codes, [i for i, v in enumerate(counties) if v == county])
        mask |= in_league
    return mask


def find_listed(
    columns: StationColumns,
    *,
    words: Sequence[str] = (),
    areas: Sequence[tuple[str, str]] | None = None,
) -> np.ndarray:
    """Positions (in `columns`) of stations in `areas` (None: anywhere) whose name, address or
    code holds every word; newest (highest id) first."""
    mask = np.ones(len(columns), bool) if areas is None else _area_mask(columns, areas)
    for word in words:
        if not word:
            continue
        anywhere = np.zeros(len(columns._storage.ids), bool)
        for column in _SEARCHED:
            anywhere |= _rows_with(columns, column, word)
        mask &= anywhere[columns.rows]
    positions = np.flatnonzero(mask)
    return positions[np.argsort(-columns.ids[positions], kind="stable")]


def in_box(
    columns: StationColumns,
    south: float,
    west: float,
    north: float,
    east: float,
    *,
    areas: Sequence[tuple[str, str]] | None = None,
) -> np.ndarray:
    """Positions of stations inside the box (WGS-84) and `areas`."""
    lat, lng = columns.lat, columns.lng
    mask = (lat >= south) & (lat <= north) & (lng >= west) & (lng <= east)
    if areas is not None:
        mask &= _area_mask(columns, areas)
    return np.flatnonzero(mask)
