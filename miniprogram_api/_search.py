"""`GET /api/v1/stations/search?q=…`: stations by name or address, in Chinese characters, full
pinyin or pinyin initials (`xcq` finds 新城区…, `haidong` finds 海东路…), best match first —
a name before an address, a name that starts with the words before one that only contains
them — then nearest first when the client sends its position.

The search text of every active station (characters, pinyin, initials) is made once per station
index (in a worker thread) and kept until the stations change.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from pypinyin import lazy_pinyin

from handlers import SERVICES_KEY
from locations import CoordSystem, StationIndex, distance_m, opening_state, to_wgs84

from ._cache import cached_json
from ._paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from ._routes import api_route, read_query
from ._stations import StationOut, station_json

MAX_RESULTS = 200
_ASCII = re.compile(r"^[a-z0-9]+$")


class SearchQuery(BaseModel):
    q: str = Field(
        min_length=1,
        max_length=50,
        description="驿站名称或地址里的字，或其拼音、拼音首字母（如 xcq）；空格分开的词都要有",
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="纬度（给了按远近排）")
    lng: float | None = Field(default=None, ge=-180, le=180, description="经度")
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, description="坐标系，默认 gcj02")
    limit: int = Field(default=20, ge=1, le=50, description="每页条数")
    cursor: str | None = Field(
        default=None, pattern=CURSOR_PATTERN, description="上一页答复里的 next_cursor"
    )


class SearchHit(StationOut):
    distance_m: int | None = Field(description="离给出位置的距离（米）；没给位置时为 null")
    open_now: bool


class SearchResponse(BaseModel):
    coord: CoordSystem
    stations: list[SearchHit]
    next_cursor: str | None = Field(description="下一页的 cursor；null 表示没有更多")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    name: str  # lower-cased characters
    place: str  # address, county, league
    name_pinyin: str
    name_initials: str
    place_pinyin: str
    place_initials: str


def _pinyin(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of the Chinese in `text`; other characters kept as they are."""
    syllables = [s.strip().lower() for s in lazy_pinyin(text) if s.strip()]
    return "".join(syllables).replace(" ", ""), "".join(s[0] for s in syllables if s)


def build_entries(index: StationIndex) -> list[Entry]:
    entries = []
    for s in index.stations:
        place = f"{s.address} {s.county} {s.league}"
        name_py, name_ini = _pinyin(s.name)
        place_py, place_ini = _pinyin(place)
        entries.append(
            Entry(s.id, s.name.lower(), place.lower(), name_py, name_ini, place_py, place_ini)
        )
    return entries


def _rank(entry: Entry, word: str) -> int | None:
    """0: the name starts with it, 1: the name has it, 2: the address has it; None: no match."""
    if _ASCII.fullmatch(word):
        for rank, fields in (
            (0, (entry.name_initials, entry.name_pinyin)),
            (2, (entry.place_initials, entry.place_pinyin)),
        ):
            for text in fields:
                if text.startswith(word):
                    return rank
                if word in text:
                    return max(rank, 1)
    if entry.name.startswith(word):
        return 0
    if word in entry.name:
        return 1
    if word in entry.place:
        return 2
    return None


def matching(entries: list[Entry], q: str) -> list[tuple[int, int]]:
    """(rank, station id) of every entry that has every word of `q`."""
    words = [w for w in q.lower().replace("　", " ").split() if w]
    found = []
    for entry in entries:
        ranks = [_rank(entry, w) for w in words]
        if words and all(r is not None for r in ranks):
            found.append((max(r for r in ranks if r is not None), entry.id))
    return found


class SearchCache:
    """The entries of the newest station index (rebuilt when the finder swaps its index)."""

    def __init__(self) -> None:
        self._index: StationIndex | None = None
        self._entries: list[Entry] = []
        self._lock = asyncio.Lock()

    async def entries(self, index: StationIndex) -> list[Entry]:
        if self._index is index:
            return self._entries
        async with self._lock:
            if self._index is not index:
                self._entries = await asyncio.to_thread(build_entries, index)
                self._index = index
        return self._entries


SEARCH_CACHE = web.AppKey("miniprogram_search_cache", SearchCache)


async def search(request: web.Request) -> web.Response:
    query = read_query(request, SearchQuery)
    context = request.app[SERVICES_KEY]
    finder = context.finder
    offset = decode_cursor(query.cursor, "search").get("offset", 0)
    if not isinstance(offset, int) or not 0 <= offset < MAX_RESULTS:
        offset = 0
    found = matching(await request.app[SEARCH_CACHE].entries(finder.index), query.q)
    origin = None
    if query.lat is not None and query.lng is not None:
        origin = to_wgs84(query.lat, query.lng, query.coord)
    now = context.clock.now()
    scored: list[tuple[Any, ...]] = []
    for rank, station_id in found:
        station = finder.get(station_id)
        if station is None:
            continue
        metres = distance_m(origin, station.point) if origin is not None else None
        scored.append((rank, metres if metres is not None else 0.0, station.name, station))
    scored.sort(key=lambda item: item[:3])
    scored = scored[:MAX_RESULTS]
    page = scored[offset : offset + query.limit]
    more = len(scored) > offset + query.limit
    hits = []
    for _, metres, _, station in page:
        state = opening_state(station.opening_hours, now)
        hits.append(
            {
                **station_json(station, query.coord, request),
                "distance_m": round(metres) if origin is not None else None,
                "open_now": state.is_open and station.status == "active",
            }
        )
    return cached_json(
        request,
        {
            "coord": query.coord.value,
            "stations": hits,
            "next_cursor": (
                encode_cursor({"k": "search", "offset": offset + query.limit}) if more else None
            ),
        },
    )


def setup(app: web.Application) -> None:
    app[SEARCH_CACHE] = SearchCache()
    api_route(
        app,
        "GET",
        "/api/v1/stations/search",
        search,
        query=SearchQuery,
        response=SearchResponse,
        headers=("ETag", "Cache-Control"),
        errors=(404,),
        tags=("stations",),
        summary="按名称或地址找驿站（汉字、拼音或拼音首字母，如 xcq），按 cursor 翻页",
    )
