"""The lat/lng cell grid under the spatial index (see `_index` for how a search uses it).

A grid holds some of the index's stations ("members") in cell order: the sorted cell keys and
the members' index positions. The cells of one grid row inside a search window are therefore
one contiguous run of both, found by two binary searches. The search itself runs in
`_kernel.Cells`; this module only chooses the cell size and lays the arrays out.
"""

from __future__ import annotations

import math

import numpy as np

from ._kernel import Cells

CELL_TARGET = 12  # stations in a typical station's cell: a 3×3 window holds ~100 candidates


def build_grid(members: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> Cells:
    """`members` (index positions) bucketed in cells roughly square in metres at the grid's
    middle latitude."""
    fit = _Fit(lat[members], lng[members])
    order = np.argsort(fit.keys, kind="stable")
    return Cells(
        fit.keys[order],
        members[order].astype(np.int32),
        fit.lat0,
        fit.lng0,
        fit.ch,
        fit.cw,
        fit.nrows,
        fit.ncols,
        # Longitudes are not wrapped: a grid wider than 180° would get the bound wrong, so it
        # is always searched whole.
        fit.lng_span > 180,
    )


def cell_order(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """The order `build_grid` puts these points in: the index lays every station out this way,
    so the stations of one cell sit together in memory in every grid."""
    return np.argsort(_Fit(lat, lng).keys, kind="stable")


class _Fit:
    """Cell size and keys for a set of points."""

    def __init__(self, la: np.ndarray, lo: np.ndarray) -> None:
        self.lat0, self.lng0 = float(la.min()), float(lo.min())
        lat_span = float(la.max()) - self.lat0
        self.lng_span = lng_span = float(lo.max()) - self.lng0
        # A degree of longitude is shorter than one of latitude: widen cells by 1/cos(latitude)
        # so the stopping bound (the nearest cell edge) is about as far east-west as
        # north-south.
        squash = max(0.05, math.cos(math.radians(self.lat0 + lat_span / 2)))
        # Start from the cell that would hold CELL_TARGET if stations were spread evenly, then
        # shrink it while a typical station's cell holds far more (stations cluster in cities).
        area = max(lat_span, 1e-3) * max(lng_span * squash, 1e-3)
        ch = math.sqrt(area * CELL_TARGET / len(la))
        dlat, dlng = la - self.lat0, lo - self.lng0
        for _ in range(6):
            keys = self._keys(dlat, dlng, ch, ch / squash)
            _, counts = np.unique(keys, return_counts=True)
            typical = float((counts.astype(np.float64) ** 2).sum()) / len(la)
            if typical <= 1.5 * CELL_TARGET or ch < 1e-4:
                break
            ch /= math.sqrt(typical / CELL_TARGET)
        self.ch, self.cw = ch, ch / squash
        self.nrows = int(lat_span / self.ch) + 1
        self.ncols = int(lng_span / self.cw) + 1
        self.keys = self._keys(dlat, dlng, self.ch, self.cw)

    def _keys(self, dlat: np.ndarray, dlng: np.ndarray, ch: float, cw: float) -> np.ndarray:
        ncols = int(self.lng_span / cw) + 1
        return (dlat / ch).astype(np.int64) * ncols + (dlng / cw).astype(np.int64)
