"""Station details kept as columns give back exactly the records that went in."""

from __future__ import annotations

import numpy as np

from locations import Point, StationColumns, StationRecord


def rec(sid: int, name: str, **kw: object) -> StationRecord:
    fields: dict[str, object] = dict(
        id=sid,
        code=f"C{sid}",
        name=name,
        address=f"{name}路{sid}号",
        league="呼和浩特市",
        county="赛罕区",
        point=Point(40.8 + sid / 1000, 111.7),
        kind="standard",
        build_mode="self",
        host_type="",
        opening_hours="24/7",
        services=("rest", "drinking_water"),
        most_beautiful=False,
        smart_24h=False,
        phone="0471-1234567",
        status="active",
        area_m2=None,
    )
    fields.update(kw)
    return StationRecord(**fields)  # type: ignore[arg-type]


RECORDS = [
    rec(3, "户外劳动者驿站", area_m2=35.5, most_beautiful=True),
    rec(1, "", phone="", address=""),  # empty texts stay empty
    rec(7, "𡌶上驿站", smart_24h=True, services=("toilet_guidance", "rest")),  # beyond the BMP
    rec(2, "新华广场驿站", services=(), status="suspended", host_type="银行网点"),
    rec(9, "新华广场二号驿站", most_beautiful=True, smart_24h=True, area_m2=0.0),
]


def test_records_come_back_equal_in_order() -> None:
    columns = StationColumns.of(RECORDS)
    assert len(columns) == len(RECORDS)
    assert list(columns) == RECORDS
    assert [columns[i] for i in range(len(RECORDS))] == RECORDS
    assert columns[1:3] == RECORDS[1:3]
    # Service lists keep their own order; "no area" stays None, not NaN; 0.0 stays 0.0.
    assert columns[2].services == ("toilet_guidance", "rest")
    assert columns[0].area_m2 == 35.5 and columns[1].area_m2 is None and columns[4].area_m2 == 0.0


def test_subset_get_and_named() -> None:
    columns = StationColumns.of(RECORDS)
    sub = columns.subset(np.array([4, 0, 2]))
    assert [s.id for s in sub] == [9, 3, 7]
    assert sub.get(7) == RECORDS[2] and sub.get(2) is None  # 2 is not in the subset
    assert columns.get(2) == RECORDS[3] and columns.get(42) is None
    assert [s.id for s in columns.named(["新华", "驿站"])] == [2, 9]
    assert [s.id for s in sub.named(["新华"])] == [9]


def test_an_empty_set() -> None:
    columns = StationColumns.of([])
    assert len(columns) == 0 and list(columns) == [] and columns.get(1) is None
