"""How the stations measure up to the notice's targets (内政办发〔2025〕4号).

- At least 3,000 stations region-wide.
- At least 15 % 最美驿站 and at least 15 % 24-hour unmanned smart stations.
- In every league/city's main urban area, 15-minute walk service circles with cross coverage
  (步行15分钟服务圈交叉覆盖): every point within a 15-minute walk of at least two stations.

How the walk is measured: 15 minutes at 4 km/h along streets, with streets taken as 1.2 times
the straight line (`walk_radius_m(15)`, about 833 m in a straight line). The main urban area of a
league/city is the union of discs around the seats of its main urban districts (`Place.urban`,
2.5–3 km each, see `_seats.py`), sampled on a 200 m grid. The notice says the cross coverage is
to be "basically" achieved (基本实现); we count an area as meeting it when at least 90 % of its
sample points are within a 15-minute walk of two or more stations.

Only active stations count. Stations whose hours the union did not give are counted apart
(`hours_unknown`) and left out of the walk circles: nobody can tell a worker they are open.
Leagues, counties and urban areas come from imported boundaries when there are any, for any
province, else from the built-in Inner Mongolia seats (`_coverage_areas`). Each urban area lists
its uncovered spots, largest first (`to_geojson` gives them as map points).

Counting uses a cKDTree over unit vectors (ball-point counts), so a report over thousands of
stations takes well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._coverage_areas import (
    UNKNOWN_COUNTY,
    UNKNOWN_LEAGUE,
    Spot,
    builtin_areas,
    place_stations,
    region_areas,
    sample_grid,
    uncovered_spots,
    urban_sample_points,
)
from ._index import (
    ROUTE_FACTOR,
    WALK_M_PER_MIN,
    StationRecord,
    m_to_chord,
    unit_vectors,
    walk_radius_m,
)
from ._regions import RegionSet

TARGET_STATIONS = 3000
TARGET_SHARE = 0.15
WALK_MINUTES = 15
CROSS_TARGET = 0.90  # share of urban sample points that must be cross-covered (基本实现)
GRID_STEP_M = 200.0
SPOTS_SHOWN = 5  # per urban area in the text report (JSON and GeoJSON have them all)


def _mark(ok: bool) -> str:
    return "✓ 达标" if ok else "✗ 未达标"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class _Shares:
    """The two kinds of station the notice wants 15 % of, out of a count of stations (the
    region's or one league/city's). Mixed into dataclasses that have these three fields."""

    __slots__ = ()
    stations: int
    most_beautiful: int
    smart_24h: int

    @property
    def most_beautiful_share(self) -> float:
        return _share(self.most_beautiful, self.stations)

    @property
    def most_beautiful_met(self) -> bool:
        return self.most_beautiful_share >= TARGET_SHARE

    @property
    def smart_24h_share(self) -> float:
        return _share(self.smart_24h, self.stations)

    @property
    def smart_24h_met(self) -> bool:
        return self.smart_24h_share >= TARGET_SHARE


@dataclass(frozen=True, slots=True)
class CountyCount:
    county: str
    stations: int
    hours_unknown: int

    def to_dict(self) -> dict[str, object]:
        return {
            "county": self.county,
            "stations": self.stations,
            "hours_unknown": self.hours_unknown,
        }


@dataclass(frozen=True, slots=True)
class LeagueCount(_Shares):
    league: str
    stations: int
    most_beautiful: int
    smart_24h: int
    hours_unknown: int = 0
    counties: tuple[CountyCount, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "league": self.league,
            "stations": self.stations,
            "hours_unknown": self.hours_unknown,
            "counties": [c.to_dict() for c in self.counties],
            "most_beautiful": self.most_beautiful,
            "most_beautiful_share": round(self.most_beautiful_share, 4),
            "most_beautiful_met": self.most_beautiful_met,
            "smart_24h": self.smart_24h,
            "smart_24h_share": round(self.smart_24h_share, 4),
            "smart_24h_met": self.smart_24h_met,
        }


@dataclass(frozen=True, slots=True)
class UrbanCoverage:
    league: str
    districts: tuple[str, ...]
    radius_m: tuple[float, ...]  # of each district's disc, same order
    sample_points: int
    covered: int  # points with ≥ 1 station within a 15-minute walk
    cross_covered: int  # points with ≥ 2
    spots: tuple[Spot, ...] = ()  # where the points short of cross coverage are, largest first

    @property
    def covered_share(self) -> float:
        return _share(self.covered, self.sample_points)

    @property
    def cross_covered_share(self) -> float:
        return _share(self.cross_covered, self.sample_points)

    @property
    def met(self) -> bool:
        return self.sample_points > 0 and self.cross_covered_share >= CROSS_TARGET

    def to_dict(self) -> dict[str, object]:
        return {
            "league": self.league,
            "districts": list(self.districts),
            "radius_m": list(self.radius_m),
            "sample_points": self.sample_points,
            "covered_share": round(self.covered_share, 4),
            "cross_covered_share": round(self.cross_covered_share, 4),
            "met": self.met,
            "uncovered_spots": [spot.to_dict() for spot in self.spots],
        }


@dataclass(frozen=True, slots=True)
class CoverageReport(_Shares):
    stations: int
    most_beautiful: int
    smart_24h: int
    leagues: tuple[LeagueCount, ...]
    urban: tuple[UrbanCoverage, ...]
    walk_radius_m: float
    hours_unknown: int = 0  # active stations without known hours (not in the walk circles)
    regions: str = "built-in"  # where leagues and counties came from: built-in | boundaries

    @property
    def stations_met(self) -> bool:
        return self.stations >= TARGET_STATIONS

    @property
    def all_met(self) -> bool:
        return (
            self.stations_met
            and self.most_beautiful_met
            and self.smart_24h_met
            and all(u.met for u in self.urban)
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "notice": "内政办发〔2025〕4号",
            "counted": "active stations only",
            "regions": self.regions,
            "hours_unknown": self.hours_unknown,
            "stations": {
                "count": self.stations,
                "target": TARGET_STATIONS,
                "met": self.stations_met,
            },
            "most_beautiful": {
                "count": self.most_beautiful,
                "share": round(self.most_beautiful_share, 4),
                "target_share": TARGET_SHARE,
                "met": self.most_beautiful_met,
            },
            "smart_24h": {
                "count": self.smart_24h,
                "share": round(self.smart_24h_share, 4),
                "target_share": TARGET_SHARE,
                "met": self.smart_24h_met,
            },
            "leagues": [lc.to_dict() for lc in self.leagues],
            "urban": {
                "walk_minutes": WALK_MINUTES,
                "walk_speed_kmh": round(WALK_M_PER_MIN * 60 / 1000, 2),
                "route_factor": ROUTE_FACTOR,
                "walk_radius_m": round(self.walk_radius_m, 1),
                "area": "union of discs around the seats of each league/city's main urban districts",
                "counted": "active stations with known opening hours",
                "grid_step_m": GRID_STEP_M,
                "cross_target_share": CROSS_TARGET,
                "areas": [u.to_dict() for u in self.urban],
            },
            "all_met": self.all_met,
        }

    def to_text(self) -> str:
        source = "已导入的行政区边界" if self.regions == "boundaries" else "内置的内蒙古盟市旗县表"
        lines = [
            "工会驿站建设对照《内政办发〔2025〕4号》目标（只统计在用驿站）",
            "",
            f"驿站总数：{self.stations:,} 家（目标 ≥ {TARGET_STATIONS:,} 家）  {_mark(self.stations_met)}",
            _share_line("最美驿站", self.most_beautiful, self.most_beautiful_share),
            _share_line("24小时无人值守智能化驿站", self.smart_24h, self.smart_24h_share),
            f"其中开放时间未确认：{self.hours_unknown:,} 家（不计入步行服务圈，请尽快补上开放时间）",
            "",
            f"各盟市及旗县区（按{source}；通知目标按全区计，各盟市占比供参考）：",
            f"  {_pad('盟市')}  驿站  最美驿站占比  24小时智能驿站占比  开放时间未确认",
        ]
        for lc in self.leagues:
            beautiful, smart = lc.most_beautiful_share, lc.smart_24h_share
            lines.append(
                f"  {_pad(lc.league)}{lc.stations:>6}  {beautiful:>8.1%} {_tick(beautiful)}"
                f"  {smart:>12.1%} {_tick(smart)}  {lc.hours_unknown:>8}"
            )
            counted = [c for c in lc.counties if c.stations]
            if counted:
                lines.append(
                    "      "
                    + "、".join(
                        f"{c.county} {c.stations}"
                        + (f"（未确认 {c.hours_unknown}）" if c.hours_unknown else "")
                        for c in counted
                    )
                )
        lines += [
            "",
            f"主城区步行 {WALK_MINUTES} 分钟服务圈：按步行 {WALK_M_PER_MIN * 60 / 1000:.0f} 公里/小时、"
            f"道路绕行系数 {ROUTE_FACTOR}，{WALK_MINUTES} 分钟折合直线 {self.walk_radius_m:.0f} 米；",
            f"主城区取各主城区（区、市、旗）政府驻地周围的圆形范围，每 {GRID_STEP_M:.0f} 米取一个样点；",
            f"交叉覆盖指样点步行 {WALK_MINUTES} 分钟内有 2 家及以上驿站，"
            f"≥ {CROSS_TARGET:.0%} 的样点交叉覆盖视为基本实现。",
        ]
        for u in self.urban:
            radius = "、".join(
                f"{d}{r / 1000:g}公里" for d, r in zip(u.districts, u.radius_m, strict=True)
            )
            lines.append(
                f"  {u.league}（{radius}）：{u.sample_points:,} 个样点，"
                f"覆盖 {u.covered_share:.1%}，交叉覆盖 {u.cross_covered_share:.1%}  {_mark(u.met)}"
            )
            for spot in u.spots[:SPOTS_SHOWN]:
                have = "没有驿站" if spot.most_stations == 0 else "只有 1 家驿站"
                lines.append(
                    f"      缺口：约 {spot.area_km2:.2f} 平方公里，中心 纬度 {spot.lat:.5f}、"
                    f"经度 {spot.lng:.5f}（WGS-84），步行 {WALK_MINUTES} 分钟内{have}"
                )
            if len(u.spots) > SPOTS_SHOWN:
                lines.append(
                    f"      另有 {len(u.spots) - SPOTS_SHOWN} 处缺口（--format geojson 可看全部）"
                )
        lines += [
            "",
            "总体：" + ("全部目标达标。" if self.all_met else "尚有目标未达标，见上方 ✗ 项。"),
        ]
        return "\n".join(lines)

    def to_geojson(self) -> dict[str, object]:
        """The uncovered spots of every urban area as map points (WGS-84, RFC 7946)."""
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(s.lng, 6), round(s.lat, 6)]},
                "properties": {**s.to_dict(), "walk_minutes": WALK_MINUTES},
            }
            for u in self.urban
            for s in u.spots
        ]
        return {"type": "FeatureCollection", "features": features}


def _pad(name: str, width: int = 5) -> str:
    """Pad with ideographic spaces so Chinese names line up in a terminal."""
    return name + "\u3000" * max(0, width - len(name))


def _tick(share: float) -> str:
    return "✓" if share >= TARGET_SHARE else "✗"


def _share_line(label: str, count: int, share: float) -> str:
    target = f"目标 ≥ {TARGET_SHARE:.0%}"
    return f"{label}：{count:,} 家，占 {share:.1%}（{target}）  {_mark(share >= TARGET_SHARE)}"


def coverage_report(
    stations: Sequence[StationRecord], regions: RegionSet | None = None
) -> CoverageReport:
    """Measure `stations` (only the active ones count) against the notice's targets, per league
    and county of `regions` (imported boundaries) or, without them, of the built-in seats."""
    active = [s for s in stations if s.status == "active"]
    areas = region_areas(regions) if regions and regions.leagues else builtin_areas()
    places = place_stations(active, regions if areas.source == "boundaries" else None)
    per_league: dict[str, list[int]] = {name: [0, 0, 0, 0] for name in areas.leagues}
    per_county: dict[tuple[str, str], list[int]] = {}
    for s, (league, county) in zip(active, places, strict=True):
        tally = per_league.setdefault(league, [0, 0, 0, 0])
        tally[0] += 1
        tally[1] += s.most_beautiful
        tally[2] += s.smart_24h
        tally[3] += not s.hours_known
        c = per_county.setdefault((league, county), [0, 0])
        c[0] += 1
        c[1] += not s.hours_known

    def counties(league: str) -> tuple[CountyCount, ...]:
        names = list(areas.counties.get(league, ()))
        names += [c for lg, c in per_county if lg == league and c not in names]
        return tuple(CountyCount(c, *per_county.get((league, c), [0, 0])) for c in names)

    leagues = tuple(
        LeagueCount(name, c[0], c[1], c[2], hours_unknown=c[3], counties=counties(name))
        for name, c in per_league.items()
        if c[0] or name != UNKNOWN_LEAGUE
    )
    radius = walk_radius_m(WALK_MINUTES)
    from scipy.spatial import cKDTree  # only the report needs scipy; keep imports light

    known = [s for s in active if s.hours_known]
    tree = None
    if known:
        lat = np.fromiter((s.point.lat for s in known), float, len(known))
        lng = np.fromiter((s.point.lng for s in known), float, len(known))
        tree = cKDTree(unit_vectors(lat, lng))
    urban = []
    for area in areas.urban:
        points, ix, iy = sample_grid(area, GRID_STEP_M)
        if tree is not None and len(points):
            counts = np.asarray(
                tree.query_ball_point(
                    unit_vectors(points[:, 0], points[:, 1]), m_to_chord(radius), return_length=True
                )
            )
        else:
            counts = np.zeros(len(points), dtype=int)
        urban.append(
            UrbanCoverage(
                league=area.league,
                districts=area.districts,
                radius_m=area.radius_m,
                sample_points=len(points),
                covered=int((counts >= 1).sum()),
                cross_covered=int((counts >= 2).sum()),
                spots=uncovered_spots(area.league, points, ix, iy, counts, GRID_STEP_M),
            )
        )
    return CoverageReport(
        stations=len(active),
        most_beautiful=sum(s.most_beautiful for s in active),
        smart_24h=sum(s.smart_24h for s in active),
        leagues=leagues,
        urban=tuple(urban),
        walk_radius_m=radius,
        hours_unknown=sum(not s.hours_known for s in active),
        regions=areas.source,
    )


__all__ = [
    "UNKNOWN_COUNTY",
    "UNKNOWN_LEAGUE",
    "CoverageReport",
    "coverage_report",
    "urban_sample_points",
]
