"""The REST API for the WeChat mini-program (and anyone else): `/api/v1/…`.

For route modules: `api_route` (add a route and document it), `read_body` / `read_query`
(validated input), `require_user` (the logged-in `MiniUser` or 401), `phone_number` (the
`getPhoneNumber` code exchange), `check_text` (WeChat's content check).
"""

from aiohttp import web

from integrations import WeChatApi

from . import (
    _auth,
    _cases,
    _codes,
    _media,
    _membership,
    _openapi,
    _search,
    _stations,
    _subscriptions,
)
from ._auth import WECHAT, MiniUser, check_text, phone_number, require_user, session_key
from ._lang import localize
from ._ratelimit import RateLimits, rate_limit
from ._routes import api_route, read_body, read_query


def setup(app: web.Application, wechat: WeChatApi) -> None:
    """Mount `/api/v1/…`; `wechat` is the mini-program's WeChat API client."""
    app[WECHAT] = wechat
    # Outermost first: a 429 from the limiter is told in the client's language too.
    app.middlewares.append(localize)
    app.middlewares.append(rate_limit)
    _auth.setup(app)
    _search.setup(app)  # before /stations/{station_id}, which would take "search"
    _stations.setup(app)
    _membership.setup(app)
    _cases.setup(app)
    _media.setup(app)
    _codes.setup(app)
    _subscriptions.setup(app)
    _openapi.setup(app)


__all__ = [
    "MiniUser",
    "RateLimits",
    "api_route",
    "check_text",
    "phone_number",
    "read_body",
    "read_query",
    "require_user",
    "session_key",
    "setup",
]
