"""One query's ranking over the windows of one grid (see `_index` for the whole search)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from ._grid import Grid, Spans

if TYPE_CHECKING:
    from ._index import StationIndex

_FAIL = -9.0  # the cosine given to a station a filter rejects: real ones are ≥ -1
# Bound on |(2 - 2·cosine) - squared chord| for our unit vectors: a few float64 roundings in the
# dot product and in the vectors' norms (≈ 2e-15), with room to spare.
_EPS = 1e-14


class Search:
    """One query's ranking over windows of one grid.

    Candidates are ranked by cosine (one matrix-vector product: the cheapest numpy call there
    is), then the few at the head get their squared chord computed exactly in Python, which is
    what the answer is ordered by (ties by id) and what its distances come from. The cosine
    ranking is off by at most _EPS in squared chord, so the head is widened whenever a station
    past it could still be within _EPS of the last one kept.
    """

    __slots__ = (
        "at",
        "bound2",
        "closed",
        "grid",
        "index",
        "late",
        "lazy_open",
        "limit",
        "need",
        "q",
        "query",
        "reach",
    )

    def __init__(
        self, index: StationIndex, grid: Grid, query: np.ndarray, at: datetime, limit: int,
        bound2: float, late: frozenset[int], open_now: bool, need: int,
    ) -> None:
        self.index, self.grid, self.query, self.at = index, grid, query, at
        self.q = query.tolist()
        self.limit, self.bound2, self.late, self.need = limit, bound2, late, need
        self.closed = index._closed(grid) if open_now else None
        self.lazy_open = open_now and self.closed is None
        self.reach: float | None = None  # squared chord of the limit-th found, when too far

    def rank(self, spans: Spans, outside: float, final: bool) -> list[tuple[float, int, int]] | None:
        """The answer among the members in `spans` as (squared chord, id, position), or None
        when something outside the window (nearer than `outside`) could still belong in it."""
        grid, limit, closed = self.grid, self.limit, self.closed
        if len(spans) == 1:
            a, b = spans[0]
            xyz, pos = grid.xyz[a:b], grid.pos[a:b]
            if closed is not None:
                closed = closed[a:b]
        elif spans:
            xyz = np.concatenate([grid.xyz[a:b] for a, b in spans])
            pos = np.concatenate([grid.pos[a:b] for a, b in spans])
            if closed is not None:
                closed = np.concatenate([closed[a:b] for a, b in spans])
        else:
            xyz, pos, closed = grid.xyz[:0], grid.pos[:0], None
        cos = xyz.dot(self.query)
        if closed is not None:
            cos[closed] = _FAIL
        if self.need or self.lazy_open:
            self._filter(pos, cos)
        # Demoted stations rank after the others: look at enough to see past all of them.
        want = limit + len(self.late)
        m = len(cos)
        if m > want:
            if m > 256:  # a wide window: partition first, sort only the head
                head = np.argpartition(cos, m - want - 1)[m - want - 1:]
                sel = head[cos[head].argsort()[::-1]]
            else:
                sel = cos.argsort()[::-1][: want + 1]  # the want + 1 largest, largest first
            edge = cos[sel[want]]  # the best cosine left out (the head keeps `want`)
            sel = sel[:want]
        else:
            sel, edge = slice(None), _FAIL
        found = self._exact(xyz[sel], pos[sel], cos[sel])
        found.sort()
        # Anything left out has a squared chord of at least 2 - 2·edge - _EPS: if that could
        # reach the want-th kept (or the distance bound, when fewer are kept), take them all.
        if edge > -1.5:
            worst = found[want - 1][0] if len(found) >= want else self.bound2
            if 2 - 2 * edge - _EPS <= worst:
                sel = np.flatnonzero(cos >= max(1 - (worst + _EPS) / 2, -1.5))
                found = self._exact(xyz[sel], pos[sel], cos[sel])
                found.sort()
        late = self.late
        if late:
            # `found` holds the `want` nearest or all the window has: if fewer than `limit` of
            # them are not demoted, the window has no more.
            ahead = [f for f in found if f[1] not in late]
            if len(ahead) >= limit:
                found = ahead
            elif not final:
                return None  # an unseen alternative would rank before a demoted one
            else:
                found = ahead + [f for f in found if f[1] in late]
        if len(found) < limit and not final:
            return None
        del found[limit:]
        if found and not final and not found[-1][0] < outside * outside:
            self.reach = found[-1][0]
            return None
        return found

    def _exact(
        self, xyz: np.ndarray, pos: np.ndarray, cos: np.ndarray
    ) -> list[tuple[float, int, int]]:
        """(squared chord, id, position) of the candidates given that pass the filters and the
        distance bound; squared chords computed exactly, as brute force would."""
        qx, qy, qz = self.q
        bound2, stations = self.bound2, self.index.stations
        found = []
        for (x, y, z), c, p in zip(xyz.tolist(), cos.tolist(), pos.tolist(), strict=True):
            if c > -1.5:
                dx, dy, dz = x - qx, y - qy, z - qz
                d2 = dx * dx + dy * dy + dz * dz
                if d2 <= bound2:
                    found.append((d2, stations[p].id, p))
        return found

    def _filter(self, pos: np.ndarray, cos: np.ndarray) -> None:
        """The rarer filters: several services; open state when it is not settled per station
        (more distinct expressions than _EAGER_EXPRESSIONS)."""
        index = self.index
        if self.need:
            cos[(index._masks[pos] & self.need) != self.need] = _FAIL
        if self.lazy_open:
            cos[~index._open_mask(pos, self.at)] = _FAIL
