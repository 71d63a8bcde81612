"""The lat/lng cell grid under the spatial index (see `_index` for how a search uses it).

A grid holds some of the index's stations ("members") with every array in cell order: the cell
keys, the station positions and the unit vectors. The cells of one grid row inside a search
window are therefore one contiguous slice of each array, so a window is a few slices (views)
instead of a gather of scattered rows, which is what numpy's per-call costs reward.
"""

from __future__ import annotations

import math

import numpy as np

CELL_TARGET = 12  # stations in a typical station's cell: a 3×3 window holds ~100 candidates

Spans = list[tuple[int, int]]


class Grid:
    """Members bucketed by cell; cells roughly square in metres at the grid's middle latitude."""

    __slots__ = (
        "ch",
        "closed",
        "closed_sig",
        "cw",
        "keys",
        "lat0",
        "lng0",
        "ncols",
        "nrows",
        "pos",
        "wraps",
        "xyz",
    )

    def __init__(
        self, members: np.ndarray, lat: np.ndarray, lng: np.ndarray, vectors: np.ndarray
    ) -> None:
        la, lo = lat[members], lng[members]
        self.lat0, self.lng0 = float(la.min()), float(lo.min())
        lat_span = float(la.max()) - self.lat0
        lng_span = float(lo.max()) - self.lng0
        # A degree of longitude is shorter than one of latitude: widen cells by 1/cos(latitude)
        # so the stopping bound (the nearest cell edge) is about as far east-west as north-south.
        squash = max(0.05, math.cos(math.radians(self.lat0 + lat_span / 2)))
        # Start from the cell that would hold CELL_TARGET if stations were spread evenly, then
        # shrink it while a typical station's cell holds far more (stations cluster in cities).
        area = max(lat_span, 1e-3) * max(lng_span * squash, 1e-3)
        ch = math.sqrt(area * CELL_TARGET / len(members))
        for _ in range(6):
            keys = self._keys_for(la, lo, ch, ch / squash, lng_span)
            _, counts = np.unique(keys, return_counts=True)
            typical = float((counts.astype(np.float64) ** 2).sum()) / len(members)
            if typical <= 1.5 * CELL_TARGET or ch < 1e-4:
                break
            ch /= math.sqrt(typical / CELL_TARGET)
        self.ch, self.cw = ch, ch / squash
        self.nrows = int(lat_span / self.ch) + 1
        self.ncols = int(lng_span / self.cw) + 1
        keys = self._keys_for(la, lo, self.ch, self.cw, lng_span)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.pos = members[order].astype(np.int32 if len(lat) < 2**31 else np.int64)
        self.xyz = np.ascontiguousarray(vectors[self.pos])
        # Longitudes are not wrapped: a grid wider than 180° would get the bound wrong.
        self.wraps = lng_span > 180
        self.closed: np.ndarray | None = None  # per member: closed now (see StationIndex)
        self.closed_sig = b""

    def _keys_for(
        self, la: np.ndarray, lo: np.ndarray, ch: float, cw: float, lng_span: float
    ) -> np.ndarray:
        ncols = int(lng_span / cw) + 1
        rows = ((la - self.lat0) / ch).astype(np.int64)
        cols = ((lo - self.lng0) / cw).astype(np.int64)
        return rows * ncols + cols

    def __len__(self) -> int:
        return len(self.pos)

    def cells_for(self, chord2: float, lat: float) -> int:
        """A window half-width (in cells) whose edges are farther than squared chord `chord2`."""
        angle = math.degrees(2 * math.asin(min(1.0, math.sqrt(chord2) / 2)))
        narrowest = min(self.ch, self.cw * max(0.01, math.cos(math.radians(lat))))
        return math.ceil(angle / narrowest * 1.01) + 1

    def window(self, lat: float, lng: float, r: int) -> tuple[Spans, float, bool]:
        """Slices of the member arrays holding the cells within `r` of the query's cell; the
        smallest chord to anything outside them; whether they cover the whole grid."""
        ch, cw, nrows, ncols = self.ch, self.cw, self.nrows, self.ncols
        cy = math.floor((lat - self.lat0) / ch)
        cx = math.floor((lng - self.lng0) / cw)
        rlo = cy - r if cy > r else 0
        rhi = cy + r if cy + r < nrows else nrows - 1
        clo = cx - r if cx > r else 0
        chi = cx + r if cx + r < ncols else ncols - 1
        if rlo > rhi or clo > chi:
            spans: Spans = []
        elif rhi == rlo or chi - clo == ncols - 1:  # one contiguous run of keys
            lo, hi = self.keys.searchsorted((rlo * ncols + clo, rhi * ncols + chi + 1)).tolist()
            spans = [(lo, hi)]
        else:
            # One searchsorted for every row's start and end.
            first = rlo * ncols + clo
            starts = range(first, rhi * ncols + clo + 1, ncols)
            cut = self.keys.searchsorted([*starts, *(s + chi - clo + 1 for s in starts)]).tolist()
            half = len(starts)
            spans = [(cut[i], cut[half + i]) for i in range(half) if cut[i] < cut[half + i]]
        top, right = rhi == nrows - 1, chi == ncols - 1
        if rlo == 0 and clo == 0 and top and right:
            return spans, math.inf, True
        # Shortest angle to a point in a cell outside the window, per side (radians): along a
        # meridian for rows; for columns, the distance to the meridian plane at the window edge.
        dlat = math.inf  # degrees
        if rlo > 0:
            dlat = lat - (self.lat0 + rlo * ch)
        if not top:
            dlat = min(dlat, self.lat0 + (rhi + 1) * ch - lat)
        angle = math.radians(min(max(dlat, 0.0), 180.0))
        dlng = math.inf  # degrees
        if clo > 0:
            dlng = lng - (self.lng0 + clo * cw)
        if not right:
            dlng = min(dlng, self.lng0 + (chi + 1) * cw - lng)
        if dlng < math.inf:
            plane = math.cos(math.radians(lat)) * math.sin(math.radians(min(max(dlng, 0.0), 90.0)))
            angle = min(angle, math.asin(min(1.0, abs(plane))))
        return spans, 2 * math.sin(angle / 2), False
