"""A demo union directory: the region's federation of trade unions, one for each league/city and
one for each county/banner/district, built from locations' seat table. `yizhan serve --demo`
loads it into an empty directory so a newcomer can sign in to the console and see cases and
enrollments routed, before their own union list is imported (`yizhan unions import`)."""

from __future__ import annotations

import csv
import io

from locations import PLACES

from ._union_file import UnionFile, parse_union_csv

REGION_CODE = "150000"
REGION_NAME = "内蒙古自治区总工会"


def demo_unions() -> UnionFile:
    """The demo directory as an import file would give it (codes are the adcodes)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "level", "league", "county", "adcode", "parent"])
    writer.writerow([REGION_CODE, REGION_NAME, "region", "", "", REGION_CODE, ""])
    leagues = {p.name: p.adcode for p in PLACES if p.level == "league"}
    for place in PLACES:
        if place.level == "league":
            row = [place.adcode, f"{place.name}总工会", "league", place.name, "", place.adcode]
            writer.writerow([*row, REGION_CODE])
        elif place.level == "county" and place.league in leagues:
            name = f"{place.league}{place.name}总工会"
            row = [place.adcode, name, "county", place.league, place.name, place.adcode]
            writer.writerow([*row, leagues[place.league]])
    return parse_union_csv(out.getvalue())
