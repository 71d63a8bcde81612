"""Stations: the registry, coordinate systems, opening hours, and nearest-open search."""

from collections.abc import Collection
from datetime import datetime

from ._columns import StationColumns
from ._coords import (
    CoordSystem,
    Point,
    distance_m,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from ._coverage import CoverageReport, coverage_report
from ._coverage_gaps import CoverageGap, coverage_gaps
from ._demo import demo_stations
from ._demo_load import DEMO_SEED, load_demo_if_empty
from ._events import (
    Areas,
    HistoryEntry,
    StationEditError,
    StationEvent,
    StationPage,
    get_station,
    in_areas,
    list_stations,
    read_station_form,
    save_station,
    station_history,
)
from ._finder import StationFinder
from ._hours import HoursError, OpeningState, is_open, is_working_day, opening_state, validate_hours
from ._hours_zh import parse_hours_zh
from ._import import ImportResult, RowProblem, read_station_file
from ._import_apply import (
    ImportOutcome,
    ImportPlan,
    export_stations,
    import_stations,
    outcome_lines,
    plan_import,
    write_rejected,
)
from ._import_fields import read_hours
from ._index import (
    EBIKE_M_PER_MIN,
    ROUTE_FACTOR,
    WALK_M_PER_MIN,
    Match,
    StationIndex,
    walk_radius_m,
)
from ._models import BuildMode, Station, StationKind, StationStatus, StationStatusChange
from ._record import StationRecord
from ._registry import StationInput, UpsertSummary, set_status, status_history, upsert_stations
from ._seats import (
    COUNTIES,
    LEAGUES,
    PLACES,
    Place,
    find_places,
    league_of,
    nearest_seat,
    urban_places,
)
from ._services import BY_CODE, SERVICES, Service, service_code
from ._station_search import find_listed, in_box


def nearest_open(
    index: StationIndex,
    point: Point,
    *,
    at: datetime,
    services: Collection[str] = (),
    limit: int = 5,
    max_distance: float | None = None,
) -> list[Match]:
    """Active stations open at `at` offering every service in `services`, nearest first."""
    return index.nearest(point, at=at, services=services, limit=limit, max_distance_m=max_distance)


__all__ = [
    "BY_CODE",
    "COUNTIES",
    "DEMO_SEED",
    "EBIKE_M_PER_MIN",
    "LEAGUES",
    "PLACES",
    "ROUTE_FACTOR",
    "SERVICES",
    "WALK_M_PER_MIN",
    "Areas",
    "BuildMode",
    "CoordSystem",
    "CoverageGap",
    "CoverageReport",
    "HistoryEntry",
    "HoursError",
    "ImportOutcome",
    "ImportPlan",
    "ImportResult",
    "Match",
    "OpeningState",
    "Place",
    "Point",
    "RowProblem",
    "Service",
    "Station",
    "StationColumns",
    "StationEditError",
    "StationEvent",
    "StationFinder",
    "StationIndex",
    "StationInput",
    "StationKind",
    "StationPage",
    "StationRecord",
    "StationStatus",
    "StationStatusChange",
    "UpsertSummary",
    "coverage_gaps",
    "coverage_report",
    "demo_stations",
    "distance_m",
    "export_stations",
    "find_listed",
    "find_places",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "get_station",
    "import_stations",
    "in_areas",
    "in_box",
    "is_open",
    "is_working_day",
    "league_of",
    "list_stations",
    "load_demo_if_empty",
    "nearest_open",
    "nearest_seat",
    "opening_state",
    "outcome_lines",
    "parse_hours_zh",
    "plan_import",
    "read_hours",
    "read_station_file",
    "read_station_form",
    "save_station",
    "service_code",
    "set_status",
    "station_history",
    "status_history",
    "to_wgs84",
    "upsert_stations",
    "urban_places",
    "validate_hours",
    "walk_radius_m",
    "wgs84_to_gcj02",
    "write_rejected",
]
