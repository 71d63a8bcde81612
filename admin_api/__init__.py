"""The staff API `/admin/v1/…`: bearer-token auth, enrollments (and, from referrals, cases).

Surfaces for other domains add their routes in their own module and call `require_staff` /
`require_union` from here for access control.
"""

import importlib
import importlib.util

from aiohttp import web

from ._auth import require_staff, require_union

# Route modules mounted under /admin/v1; each has `setup(app)`. `_cases` comes from referrals.
_ROUTES = ("_enrollments", "_cases")


def setup(app: web.Application) -> None:
    for name in _ROUTES:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            importlib.import_module(f"{__name__}.{name}").setup(app)


__all__ = ["require_staff", "require_union", "setup"]
