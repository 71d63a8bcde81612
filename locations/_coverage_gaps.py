"""Where the 15-minute cross coverage is missing: the sample points of a league/city's main
urban area (`_coverage.urban_sample_points`, the same grid the report counts) that fewer than
two active stations reach within the walk radius. For drawing on a map; the report itself
stays in `_coverage.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._coverage import WALK_MINUTES, urban_sample_points
from ._index import m_to_chord, unit_vectors, walk_radius_m
from ._seats import LEAGUES


@dataclass(frozen=True, slots=True)
class CoverageGap:
    league: str
    lat: float  # WGS-84
    lng: float
    stations: int  # within a 15-minute walk: 0 (uncovered) or 1 (covered, not cross-covered)


def coverage_gaps(
    lat: np.ndarray, lng: np.ndarray, *, leagues: Sequence[str] = ()
) -> list[CoverageGap]:
    """Sample points of the urban areas (of `leagues`, or all) with fewer than two of the
    stations at (`lat`, `lng`) — WGS-84, the active ones — within a 15-minute walk."""
    from scipy.spatial import cKDTree

    tree = cKDTree(unit_vectors(lat, lng)) if len(lat) else None
    chord = m_to_chord(walk_radius_m(WALK_MINUTES))
    gaps: list[CoverageGap] = []
    for league in LEAGUES:
        if leagues and league.name not in leagues:
            continue
        points = urban_sample_points(league)
        if not len(points):
            continue
        if tree is None:
            counts = np.zeros(len(points), dtype=int)
        else:
            counts = tree.query_ball_point(
                unit_vectors(points[:, 0], points[:, 1]), chord, return_length=True
            )
        for (lat_, lng_), n in zip(points.tolist(), np.asarray(counts).tolist(), strict=True):
            if n < 2:
                gaps.append(CoverageGap(league.name, lat_, lng_, int(n)))
    return gaps
