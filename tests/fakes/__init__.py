"""Fakes of outside APIs: small aiohttp servers that speak the real protocol."""
