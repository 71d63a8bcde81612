"""The REST API for the WeChat mini-program (and anyone else): `/api/v1/…`."""

from aiohttp import web

from . import _stations


def setup(app: web.Application) -> None:
    _stations.setup(app)


__all__ = ["setup"]
