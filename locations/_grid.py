"""The lat/lng cell grid under the spatial index (see `_index` for how a search uses it).

A grid holds some of the index's stations ("members") with every array in cell order: the cell
keys, the station positions and the unit vectors. The cells of one grid row inside a search
window are therefore one contiguous run of each array, found by two binary searches. The search
itself runs in `_kernel.Cells`; this module only chooses the cell size and lays the arrays out.
"""

from __future__ import annotations

import math

import numpy as np

from ._kernel import Cells

CELL_TARGET = 12  # stations in a typical station's cell: a 3×3 window holds ~100 candidates


def build_grid(
    members: np.ndarray, lat: np.ndarray, lng: np.ndarray, vectors: np.ndarray
) -> Cells:
    """`members` (index positions) bucketed in cells roughly square in metres at the grid's
    middle latitude."""
    la, lo = lat[members], lng[members]
    lat0, lng0 = float(la.min()), float(lo.min())
    lat_span = float(la.max()) - lat0
    lng_span = float(lo.max()) - lng0
    # A degree of longitude is shorter than one of latitude: widen cells by 1/cos(latitude) so
    # the stopping bound (the nearest cell edge) is about as far east-west as north-south.
    squash = max(0.05, math.cos(math.radians(lat0 + lat_span / 2)))
    # Start from the cell that would hold CELL_TARGET if stations were spread evenly, then
    # shrink it while a typical station's cell holds far more (stations cluster in cities).
    area = max(lat_span, 1e-3) * max(lng_span * squash, 1e-3)
    ch = math.sqrt(area * CELL_TARGET / len(members))
    for _ in range(6):
        keys = _keys(la - lat0, lo - lng0, ch, ch / squash, lng_span)
        _, counts = np.unique(keys, return_counts=True)
        typical = float((counts.astype(np.float64) ** 2).sum()) / len(members)
        if typical <= 1.5 * CELL_TARGET or ch < 1e-4:
            break
        ch /= math.sqrt(typical / CELL_TARGET)
    cw = ch / squash
    keys = _keys(la - lat0, lo - lng0, ch, cw, lng_span)
    order = np.argsort(keys, kind="stable")
    pos = members[order].astype(np.int32)
    return Cells(
        keys[order], pos, np.ascontiguousarray(vectors[pos]), lat0, lng0, ch, cw,
        int(lat_span / ch) + 1, int(lng_span / cw) + 1,
        # Longitudes are not wrapped: a grid wider than 180° would get the bound wrong, so it
        # is always searched whole.
        lng_span > 180,
    )


def _keys(
    dlat: np.ndarray, dlng: np.ndarray, ch: float, cw: float, lng_span: float
) -> np.ndarray:
    ncols = int(lng_span / cw) + 1
    return (dlat / ch).astype(np.int64) * ncols + (dlng / cw).astype(np.int64)
