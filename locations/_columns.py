"""Station details held as columns, not as one Python object per station.

A national set (200,000 stations) as `StationRecord` objects took ~220 MB in every server
process, and a reload held two sets at once (bench/README.md, "Index reload"). Here numbers are
numpy arrays, values many stations share (league, county, kind, hours, service lists, …) are
stored once and referred to by number, and the unique texts (code, name, address, phone) are
one string per column with offsets.

`StationColumns` is still a sequence of `StationRecord`: a record is made when asked for (the
few a search answers with), by the compiled `_kernel.RecordMaker`. A subset (`subset`) shares
the storage and only holds its own row numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from typing import Any, overload

import numpy as np

from ._coords import Point
from ._kernel import RECORD_FIELDS, RecordMaker
from ._record import StationRecord

# Values many stations share, stored once each, in the order the kernel reads them.
_SHARED = (
    "league",
    "county",
    "kind",
    "build_mode",
    "host_type",
    "opening_hours",
    "services",
    "status",
    "opening_hours_text",
    "extras",
    "owner_union",
)
_TEXTS = ("code", "name", "address", "phone")  # unique per station: one string per column
assert tuple(f.name for f in fields(StationRecord)) == RECORD_FIELDS, "update _kernel.pyx"


class ColumnsBuilder:
    """Collects stations row by row (from the database or from records) into columns.

    Rows are packed a chunk at a time: the strings and tuples of one chunk die before the next
    arrives and the next reuses their memory, so loading 200,000 stations never holds 200,000
    rows' worth of small objects (which would leave the process's memory fragmented and large
    long after they are freed)."""

    CHUNK = 2000

    def __init__(self) -> None:
        self._numbers: list[dict[Any, int]] = [{} for _ in _SHARED]
        self._service_codes: dict[str, str] = {}
        self._ids: list[np.ndarray] = []
        self._nums: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._texts: list[list[str]] = [[] for _ in _TEXTS]  # joined chunks
        self._pending: list[tuple[Any, ...]] = []

    def add(  # in the order of the database columns the finder reads
        self,
        id: int,
        code: str,
        name: str,
        address: str,
        league: str,
        county: str,
        lat: float,
        lng: float,
        kind: str,
        build_mode: str,
        host_type: str,
        opening_hours: str,
        services: Iterable[str] | None,
        most_beautiful: bool,
        smart_24h: bool,
        phone: str,
        status: str,
        area_m2: float | None,
        opening_hours_text: str = "",
        extras: Iterable[str] | None = (),
        hours_known: bool | None = True,
        owner_union: str | None = "",
    ) -> None:
        numbers = self._numbers
        # Service lists come back from the database as fresh strings per station: keep each
        # code once, or the distinct lists would hold a copy each.
        codes = self._service_codes
        offered = tuple([codes.setdefault(c, c) for c in services or ()])
        shared = (
            league,
            county,
            kind,
            build_mode,
            host_type,
            opening_hours,
            offered,
            status,
            opening_hours_text or "",
            tuple(extras or ()),
            owner_union or "",
        )
        self._pending.append(
            (
                id,
                lat,
                lng,
                np.nan if area_m2 is None else area_m2,
                bool(most_beautiful)
                | bool(smart_24h) << 1
                | (hours_known is not None and not hours_known) << 2,
                *(n.setdefault(value, len(n)) for n, value in zip(numbers, shared, strict=True)),
                code or "",
                name or "",
                address or "",
                phone or "",
            )
        )
        if len(self._pending) >= self.CHUNK:
            self._pack()

    def add_record(self, s: StationRecord) -> None:
        self.add(
            s.id,
            s.code,
            s.name,
            s.address,
            s.league,
            s.county,
            s.point.lat,
            s.point.lng,
            s.kind,
            s.build_mode,
            s.host_type,
            s.opening_hours,
            s.services,
            s.most_beautiful,
            s.smart_24h,
            s.phone,
            s.status,
            s.area_m2,
            s.opening_hours_text,
            s.extras,
            s.hours_known,
            s.owner_union,
        )

    def _pack(self) -> None:
        if not self._pending:
            return
        columns = list(zip(*self._pending, strict=True))
        self._pending = []
        self._ids.append(np.array(columns[0], np.int64))
        self._nums.append(np.array(columns[1:5], np.float64))
        self._codes.append(np.array(columns[5 : 5 + len(_SHARED)], np.int32))
        texts = columns[5 + len(_SHARED) :]
        self._lengths.append(np.array([list(map(len, t)) for t in texts], np.int64))
        for joined, t in zip(self._texts, texts, strict=True):
            joined.append("".join(t))

    def build(self) -> StationColumns:
        self._pack()
        if not self._ids:
            return StationColumns(_Storage.empty(len(_SHARED), len(_TEXTS)))
        nums = np.concatenate(self._nums, axis=1)
        lengths = np.concatenate(self._lengths, axis=1)
        starts = np.zeros((lengths.shape[1] + 1, len(_TEXTS)), np.int64)
        np.cumsum(lengths.T, axis=0, out=starts[1:])
        return StationColumns(
            _Storage(
                ids=np.concatenate(self._ids),
                lat=np.ascontiguousarray(nums[0]),
                lng=np.ascontiguousarray(nums[1]),
                area=np.ascontiguousarray(nums[2]),
                flags=nums[3].astype(np.int8),
                codes=np.ascontiguousarray(np.concatenate(self._codes, axis=1).T),
                starts=starts,
                texts=tuple("".join(chunks) for chunks in self._texts),
                values=tuple(list(numbers) for numbers in self._numbers),
            )
        )


class _Storage:
    """The columns of one station set (every subset shares them)."""

    def __init__(
        self,
        *,
        ids: np.ndarray,
        lat: np.ndarray,
        lng: np.ndarray,
        area: np.ndarray,
        flags: np.ndarray,
        codes: np.ndarray,
        starts: np.ndarray,
        texts: tuple[str, ...],
        values: tuple[list[Any], ...],
    ) -> None:
        self.ids, self.lat, self.lng, self.codes, self.starts = ids, lat, lng, codes, starts
        self.flags = flags
        self.texts, self.values = texts, values
        self.make = RecordMaker(
            StationRecord, Point, ids, lat, lng, area, flags, codes, starts, texts, values
        ).make

    @classmethod
    def empty(cls, shared: int, texts: int) -> _Storage:
        return cls(
            ids=np.empty(0, np.int64),
            lat=np.empty(0),
            lng=np.empty(0),
            area=np.empty(0),
            flags=np.empty(0, np.int8),
            codes=np.empty((0, shared), np.int32),
            starts=np.zeros((1, texts), np.int64),
            texts=("",) * texts,
            values=tuple([] for _ in range(shared)),
        )


class StationColumns(Sequence[StationRecord]):
    """Stations as columns; indexing gives `StationRecord`s."""

    def __init__(self, storage: _Storage, rows: np.ndarray | None = None) -> None:
        self._storage = storage
        self.rows = np.arange(len(storage.ids)) if rows is None else rows
        self.make = storage.make  # the record of a storage row (`rows` maps position to row)
        self._id_order: np.ndarray | None = None  # made at the first `get`
        self._sorted_ids = np.empty(0, np.int64)

    @classmethod
    def of(cls, records: Iterable[StationRecord]) -> StationColumns:
        builder = ColumnsBuilder()
        for s in records:
            builder.add_record(s)
        return builder.build()

    def subset(self, positions: np.ndarray) -> StationColumns:
        """The stations at these positions (of this sequence), sharing the storage."""
        return StationColumns(self._storage, self.rows[positions])

    # Columns of this sequence's stations, in its order, for the index to build on.
    @property
    def ids(self) -> np.ndarray:
        return self._storage.ids[self.rows]

    @property
    def lat(self) -> np.ndarray:
        return self._storage.lat[self.rows]

    @property
    def lng(self) -> np.ndarray:
        return self._storage.lng[self.rows]

    @property
    def hours_unknown(self) -> np.ndarray:
        """Per station: True when the union gave no opening hours."""
        return (self._storage.flags[self.rows] & 4) != 0

    def shared(self, column: str) -> tuple[np.ndarray, list[Any]]:
        """Per station the number of its value, and the distinct values: e.g. "services" gives
        each station's service-list number and the distinct service lists."""
        c = _SHARED.index(column)
        return self._storage.codes[self.rows, c], self._storage.values[c]

    def get(self, station_id: int) -> StationRecord | None:
        """The station with this id, if it is one of these."""
        if self._id_order is None:
            self._id_order = np.argsort(self.ids, kind="stable")
            self._sorted_ids = self.ids[self._id_order]
        i = int(np.searchsorted(self._sorted_ids, station_id))
        if i < len(self._sorted_ids) and self._sorted_ids.item(i) == station_id:
            return self[self._id_order.item(i)]
        return None

    def named(self, words: Sequence[str]) -> list[StationRecord]:
        """The stations whose name has every one of `words` in it."""
        c = _TEXTS.index("name")
        names, starts = self._storage.texts[c], self._storage.starts[:, c].tolist()
        make = self._storage.make
        return [
            make(row)
            for row in self.rows.tolist()
            if all(w in names[starts[row] : starts[row + 1]] for w in words)
        ]

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> StationRecord: ...
    @overload
    def __getitem__(self, i: slice) -> list[StationRecord]: ...
    def __getitem__(self, i: int | slice) -> StationRecord | list[StationRecord]:
        if isinstance(i, slice):
            return [self._storage.make(row) for row in self.rows[i].tolist()]
        return self._storage.make(self.rows.item(i))

    def __iter__(self) -> Iterator[StationRecord]:
        make = self._storage.make
        return (make(row) for row in self.rows.tolist())
