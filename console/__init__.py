"""The staff workbench at `/console/`: HTML pages in Chinese for union staff, served by the same
`yizhan serve`. Sign-in with a login and password (`membership.Credentials`), sessions in the
shared store, CSRF on every form; the queue of the person's unions' cases and enrollments; a
page for each with the actions the chat buttons offer.

`setup(app, services)` mounts it as a sub-application (its own error pages and templates).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from handlers import Services

from . import _queries
from ._cases import ACTIONS, case_action, case_page, case_reveal
from ._enrollments import decide, enrollment_page
from ._pages import CONSOLE, Console, console_middleware, setup_templates
from ._queue import queue, queue_json
from ._session import Guard, Sessions
from ._signin import login, logout, password_form, password_set
from ._workbench import add_routes as add_workbench_routes

STATIC = Path(__file__).parent / "static"


def setup(app: web.Application, services: Services) -> None:
    """Mount `/console/…` on the app."""
    console = web.Application(middlewares=[console_middleware])
    console[CONSOLE] = Console(
        credentials=_queries.credentials_for(services),
        sessions=Sessions(services.store, services.settings.console_session_hours),
        guard=Guard(services.store),
    )
    setup_templates(console)
    console.router.add_get("", _to_console)  # `/console` without the slash
    console.router.add_get("/", queue)
    console.router.add_get("/queue.json", queue_json)
    console.router.add_post("/login", login)
    console.router.add_post("/logout", logout)
    console.router.add_get("/password/{token}", password_form)
    console.router.add_post("/password/{token}", password_set)
    console.router.add_get("/cases/{case_id}", case_page)
    console.router.add_post(f"/cases/{{case_id}}/{{action:{'|'.join(ACTIONS)}}}", case_action)
    console.router.add_post("/cases/{case_id}/reveal", case_reveal)
    console.router.add_get("/enrollments/{enrollment_id}", enrollment_page)
    console.router.add_post("/enrollments/{enrollment_id}/{action:approve|reject}", decide)
    console.router.add_static("/static/", STATIC)
    add_workbench_routes(console)  # stations, coverage, unions and staff
    app.add_subapp("/console/", console)


async def _to_console(request: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": "/console/"})


__all__ = ["setup"]
