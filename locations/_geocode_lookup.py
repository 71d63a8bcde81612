"""`Lookup`: an address to geocode with the row's own league/city and county (kept apart from
`_geocode` so reading a file never loads the HTTP clients)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lookup:
    """One address to find, with the row's own league/city and county."""

    address: str
    league: str = ""
    county: str = ""

    def full(self) -> str:
        """The address with the league and county in front, unless it names them already."""
        prefix = "".join(p for p in (self.league, self.county) if p and p not in self.address)
        return prefix + self.address

    def in_county(self) -> str:
        return self.address if self.county in self.address else self.county + self.address
