# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""The compiled inner loop of the nearest-open search (see `_index` for the whole design).

One call answers one query over one grid: it walks the cells around the query, keeps the
`limit` nearest stations that pass the filters (service bits, open now), and widens the window
until the answer is provably complete. In Python with numpy the same loop cost 30–90 µs, nearly
all of it interpreter and per-call overhead rather than arithmetic (bench/README.md); here a
typical query touches ~100 candidates in a few microseconds.

Squared chords are computed exactly as brute force does in Python (`dx*dx + dy*dy + dz*dz`,
left to right, no fused multiply-add: setup.py builds with -ffp-contract=off), so answers and
ties agree bit for bit.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.math cimport INFINITY, M_PI, asin, ceil, cos, floor, sin, sqrt
from libc.stdint cimport int8_t, int32_t, int64_t

cdef double _DEG = 3.141592653589793 / 180.0
# Window half-width (cells) past which one pass over every member is cheaper than the window's
# per-row binary searches.
cdef Py_ssize_t _MAX_RADIUS = 128
# Open state of the expression that stands for "hours not known" (see `nearest`).
cdef int8_t _HOURS_UNKNOWN = 2


cdef class Table:
    """Per station (index position): unit vector, id, service bits, opening-hours expression;
    and per expression its open state now (-1 not settled yet, 0 closed, 1 open, 2 the hours
    are not known at all), which the index updates in place. Positions are in the order of the grid of all stations, so the stations
    of one cell, in any grid, sit close together in memory."""

    cdef const double[:, ::1] xyz
    cdef const int64_t[::1] ids
    cdef const int64_t[::1] masks
    cdef const int32_t[::1] expr
    cdef int8_t[::1] open_state

    def __init__(self, xyz, ids, masks, expr, open_state):
        self.xyz, self.ids, self.masks = xyz, ids, masks
        self.expr, self.open_state = expr, open_state


cdef struct Hit:
    double d2  # the rank: squared chord, pushed back for stations whose hours are unknown
    double real  # the squared chord itself
    int64_t id
    int32_t pos


cdef struct Best:
    # The `cap` nearest so far, ascending by (d2, id).
    Hit* hits
    Py_ssize_t n
    Py_ssize_t cap


cdef inline bint _before(double d2, int64_t sid, Hit* h) noexcept nogil:
    return d2 < h.d2 or (d2 == h.d2 and sid < h.id)


cdef inline bint _full_and_after(Best* b, double d2, int64_t sid) noexcept nogil:
    return b.n == b.cap and not _before(d2, sid, &b.hits[b.n - 1])


cdef inline void _insert(Best* b, double d2, double real, int64_t sid,
                         int32_t pos) noexcept nogil:
    cdef Py_ssize_t i = b.n if b.n < b.cap else b.cap - 1
    while i > 0 and _before(d2, sid, &b.hits[i - 1]):
        b.hits[i] = b.hits[i - 1]
        i -= 1
    b.hits[i].d2, b.hits[i].real, b.hits[i].id, b.hits[i].pos = d2, real, sid, pos
    if b.n < b.cap:
        b.n += 1


cdef inline double _pushed_back(double d2, double penalty) noexcept nogil:
    """The squared chord of an arc `penalty` radians longer than the one of squared chord
    `d2` (never past the antipode). Always >= d2, so the window's bounds stay valid."""
    cdef double angle = 2 * asin(min(1.0, sqrt(d2) / 2)) + penalty
    cdef double chord = 2 * sin(min(angle, M_PI) / 2)
    return max(chord * chord, d2)


cdef class Cells:
    """One grid's members in cell order (cell keys, index positions) and the search over
    them."""

    cdef const int64_t[::1] keys
    cdef const int32_t[::1] pos
    cdef double lat0, lng0, ch, cw
    cdef Py_ssize_t nrows, ncols
    cdef bint wraps

    def __init__(self, keys, pos, double lat0, double lng0, double ch, double cw,
                 Py_ssize_t nrows, Py_ssize_t ncols, bint wraps):
        self.keys, self.pos = keys, pos
        self.lat0, self.lng0, self.ch, self.cw = lat0, lng0, ch, cw
        self.nrows, self.ncols, self.wraps = nrows, ncols, wraps

    cdef Py_ssize_t _lower_bound(self, Py_ssize_t lo, int64_t key) noexcept nogil:
        cdef Py_ssize_t hi = self.keys.shape[0], mid
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.keys[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    cdef Py_ssize_t _cells_for(self, double chord2, double lat) noexcept nogil:
        """A window half-width whose edges are all farther than squared chord `chord2`."""
        cdef double angle = 2 * asin(min(1.0, sqrt(chord2) / 2)) / _DEG
        cdef double narrowest = min(self.ch, self.cw * max(0.01, cos(lat * _DEG)))
        return <Py_ssize_t>ceil(angle / narrowest * 1.01) + 1

    def __len__(self):
        return self.keys.shape[0]

    def nearest(self, Table table, double lat, double lng, double qx, double qy, double qz,
                Py_ssize_t limit, double bound2, int64_t need, bint open_now, late,
                double penalty=0.0):
        """The `limit` nearest members passing the filters, as (squared chord, id, position),
        nearest first, ties by id; stations whose id is in the set `late` come after all
        others. Stations whose hours are not known (open state 2) pass the open-now filter but
        rank as if `penalty` radians farther than they are. Returns an expression number
        instead when a candidate's opening hours are not settled yet: the caller settles that
        expression and asks again."""
        cdef Best best, demoted
        cdef bint has_late = len(late) > 0
        best.hits = <Hit*>PyMem_Malloc(limit * sizeof(Hit))
        demoted.hits = <Hit*>PyMem_Malloc(limit * sizeof(Hit))
        if best.hits == NULL or demoted.hits == NULL:
            PyMem_Free(best.hits)
            PyMem_Free(demoted.hits)
            raise MemoryError()
        best.cap = demoted.cap = limit
        cdef Py_ssize_t r = 1, row, rlo, rhi, clo, chi, cy, cx, start, stop
        cdef double outside, last
        cdef bint final
        cdef int64_t unknown = -1
        try:
            while True:
                best.n = demoted.n = 0
                if self.wraps or r > _MAX_RADIUS:
                    outside = INFINITY
                    unknown = self._scan(table, 0, self.keys.shape[0], qx, qy, qz, bound2, need,
                                         open_now, late, has_late, penalty, &best, &demoted)
                else:
                    cy = <Py_ssize_t>floor((lat - self.lat0) / self.ch)
                    cx = <Py_ssize_t>floor((lng - self.lng0) / self.cw)
                    rlo = max(cy - r, 0)
                    rhi = min(cy + r, self.nrows - 1)
                    clo = max(cx - r, 0)
                    chi = min(cx + r, self.ncols - 1)
                    start = 0
                    if rlo <= rhi and clo <= chi:
                        for row in range(rlo, rhi + 1):
                            start = self._lower_bound(start, row * self.ncols + clo)
                            stop = self._lower_bound(start, row * self.ncols + chi + 1)
                            unknown = self._scan(table, start, stop, qx, qy, qz, bound2, need,
                                                 open_now, late, has_late, penalty, &best,
                                                 &demoted)
                            if unknown >= 0:
                                break
                            start = stop
                    outside = self._outside(lat, lng, rlo, rhi, clo, chi)
                if unknown >= 0:
                    return unknown
                final = outside == INFINITY or bound2 < outside * outside
                if best.n == limit:
                    last = best.hits[limit - 1].d2
                    if final or last < outside * outside:
                        return _answer(&best, &demoted, limit)
                    # Widen to the cells that surely hold the limit-th found so far.
                    r = max(self._cells_for(last, lat), r + 1)
                elif final:
                    return _answer(&best, &demoted, limit)
                else:
                    r = 2 * r  # too few found: double
        finally:
            PyMem_Free(best.hits)
            PyMem_Free(demoted.hits)

    cdef int64_t _scan(self, Table table, Py_ssize_t start, Py_ssize_t stop, double qx,
                       double qy, double qz, double bound2, int64_t need, bint open_now,
                       object late, bint has_late, double penalty, Best* best,
                       Best* demoted) except -2:
        cdef Py_ssize_t i
        cdef int32_t p
        cdef int64_t sid
        cdef int8_t state
        cdef double dx, dy, dz, d2, real
        for i in range(start, stop):
            p = self.pos[i]
            dx = table.xyz[p, 0] - qx
            dy = table.xyz[p, 1] - qy
            dz = table.xyz[p, 2] - qz
            d2 = dx * dx + dy * dy + dz * dz
            if d2 > bound2:
                continue
            sid = table.ids[p]
            if _full_and_after(best, d2, sid) and (
                    not has_late or _full_and_after(demoted, d2, sid)):
                continue
            if need and (table.masks[p] & need) != need:
                continue
            real = d2
            state = table.open_state[table.expr[p]]
            if state == _HOURS_UNKNOWN:
                # Pushed back only ever later, so the checks above stay valid shortcuts.
                d2 = _pushed_back(d2, penalty)
            elif open_now:
                if state == 0:
                    continue
                if state < 0:
                    return table.expr[p]
            if has_late and sid in late:
                if not _full_and_after(demoted, d2, sid):
                    _insert(demoted, d2, real, sid, p)
            elif not _full_and_after(best, d2, sid):
                _insert(best, d2, real, sid, p)
        return -1

    cdef double _outside(self, double lat, double lng, Py_ssize_t rlo, Py_ssize_t rhi,
                         Py_ssize_t clo, Py_ssize_t chi) noexcept nogil:
        """The smallest chord from the query to any point in a cell outside the window."""
        cdef bint top = rhi == self.nrows - 1, right = chi == self.ncols - 1
        cdef double dlat = INFINITY, dlng = INFINITY, angle, plane
        if rlo == 0 and clo == 0 and top and right:
            return INFINITY
        # Along a meridian for rows; for columns, the distance to the meridian plane at the
        # window's edge.
        if rlo > 0:
            dlat = lat - (self.lat0 + rlo * self.ch)
        if not top:
            dlat = min(dlat, self.lat0 + (rhi + 1) * self.ch - lat)
        angle = min(max(dlat, 0.0), 180.0) * _DEG
        if clo > 0:
            dlng = lng - (self.lng0 + clo * self.cw)
        if not right:
            dlng = min(dlng, self.lng0 + (chi + 1) * self.cw - lng)
        if dlng < INFINITY:
            plane = cos(lat * _DEG) * sin(min(max(dlng, 0.0), 90.0) * _DEG)
            angle = min(angle, asin(min(1.0, abs(plane))))
        return 2 * sin(angle / 2)


cdef list _answer(Best* best, Best* demoted, Py_ssize_t limit):
    cdef list out = []
    cdef Py_ssize_t i
    for i in range(best.n):
        out.append((best.hits[i].real, best.hits[i].id, best.hits[i].pos))
    for i in range(min(demoted.n, limit - best.n)):
        out.append((demoted.hits[i].real, demoted.hits[i].id, demoted.hits[i].pos))
    return out


cdef extern from "Python.h":
    int PyObject_GenericSetAttr(object o, object name, object value) except -1

# StationRecord's fields, in its order (checked against the dataclass when `_columns` loads).
RECORD_FIELDS = ("id", "code", "name", "address", "league", "county", "point", "kind",
                 "build_mode", "host_type", "opening_hours", "services", "most_beautiful",
                 "smart_24h", "phone", "status", "area_m2", "opening_hours_text", "extras",
                 "hours_known", "owner_union")
cdef tuple _FIELDS = RECORD_FIELDS
cdef str _LAT = "lat", _LNG = "lng"
cdef object _new = object.__new__


cdef class RecordMaker:
    """Makes a `StationRecord` from station columns (see `_columns`) in about a microsecond:
    the frozen dataclass's own constructor plus numpy's per-call costs took ~3.5 µs, which a
    search answering with five stations could not afford. Fields are set as the dataclass's
    __init__ sets them (object.__setattr__), so the records are the same frozen objects."""

    cdef object record_cls, point_cls
    cdef const int64_t[::1] ids
    cdef const double[::1] lat, lng, area
    cdef const int8_t[::1] flags
    cdef const int32_t[:, ::1] codes
    cdef const int64_t[:, ::1] starts
    cdef tuple texts, values

    def __init__(self, record_cls, point_cls, ids, lat, lng, area, flags, codes, starts,
                 tuple texts, tuple values):
        self.record_cls, self.point_cls = record_cls, point_cls
        self.ids, self.lat, self.lng, self.area, self.flags = ids, lat, lng, area, flags
        self.codes, self.starts, self.texts, self.values = codes, starts, texts, values

    def make(self, Py_ssize_t row):
        cdef object point = _new(self.point_cls)
        PyObject_GenericSetAttr(point, _LAT, self.lat[row])
        PyObject_GenericSetAttr(point, _LNG, self.lng[row])
        cdef tuple v = self.values
        cdef str code = self.texts[0], name = self.texts[1], address = self.texts[2]
        cdef str phone = self.texts[3]
        cdef const int32_t[:, ::1] c = self.codes
        cdef const int64_t[:, ::1] at = self.starts
        cdef double area = self.area[row]
        cdef int8_t flags = self.flags[row]
        cdef tuple fields = (
            self.ids[row],
            code[at[row, 0]:at[row + 1, 0]],
            name[at[row, 1]:at[row + 1, 1]],
            address[at[row, 2]:at[row + 1, 2]],
            (<list>v[0])[c[row, 0]],
            (<list>v[1])[c[row, 1]],
            point,
            (<list>v[2])[c[row, 2]],
            (<list>v[3])[c[row, 3]],
            (<list>v[4])[c[row, 4]],
            (<list>v[5])[c[row, 5]],
            (<list>v[6])[c[row, 6]],
            bool(flags & 1),
            bool(flags & 2),
            phone[at[row, 3]:at[row + 1, 3]],
            (<list>v[7])[c[row, 7]],
            None if area != area else area,  # NaN stands for "not given"
            (<list>v[8])[c[row, 8]],
            (<list>v[9])[c[row, 9]],
            not (flags & 4),  # bit 4 marks hours not known
            (<list>v[10])[c[row, 10]],
        )
        cdef object record = _new(self.record_cls)
        cdef Py_ssize_t i
        for i in range(21):
            PyObject_GenericSetAttr(record, _FIELDS[i], fields[i])
        return record
