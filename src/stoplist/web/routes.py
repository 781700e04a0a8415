"""Routes of the web dashboard, all under ``/dashboard`` (``/`` leads there)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stoplist.web import confirmations, evidence, imports, pages, review, settings
from stoplist.web.context import PREFIX

_STATIC = Path(__file__).parent / "static"


async def _root(request: Request) -> Response:
    return RedirectResponse(PREFIX + "/", status_code=307)


def routes() -> list[BaseRoute]:
    get, post = ["GET"], ["POST"]
    return [
        Route("/", _root, methods=get),
        Route(PREFIX, _root, methods=get),
        Route(PREFIX + "/", pages.home, methods=get),
        Route(PREFIX + "/login", pages.sign_in_page, methods=get),
        Route(PREFIX + "/login", pages.sign_in, methods=post),
        Route(PREFIX + "/logout", pages.sign_out, methods=post),
        Route(PREFIX + "/search", pages.search, methods=get),
        Route(PREFIX + "/numbers", pages.numbers, methods=get),
        Route(PREFIX + "/numbers", pages.add, methods=post),
        Route(PREFIX + "/numbers/{stop_id}/remove", pages.remove_page, methods=get),
        Route(PREFIX + "/numbers/{stop_id}/remove", pages.remove, methods=post),
        Route(PREFIX + "/export.csv", pages.export, methods=get),
        Route(PREFIX + "/import", imports.import_page, methods=get),
        Route(PREFIX + "/import", imports.run_import, methods=post),
        *settings.routes(),
        *review.routes(),
        *evidence.routes(),
        *confirmations.routes(),
        Mount(PREFIX + "/static", StaticFiles(directory=_STATIC), name="dashboard-static"),
    ]
