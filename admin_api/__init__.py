"""The staff API `/admin/v1/…`: bearer-token auth, enrollments (and, from referrals, cases).

Surfaces for other domains add their routes in their own module and call `require_staff` /
`require_union` from here for access control.
"""

from aiohttp import web

from . import _cases, _enrollments
from ._auth import require_staff, require_union


def setup(app: web.Application) -> None:
    """Mount `/admin/v1/…`: enrollments, then cases (with the escalation sweep)."""
    _enrollments.setup(app)
    _cases.setup(app)


__all__ = ["require_staff", "require_union", "setup"]
