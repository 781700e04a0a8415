"""``/openapi.json`` and the interactive ``/docs``, served without any CDN."""

from __future__ import annotations

from functools import cache

import orjson
import swagger_ui_bundle
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stoplist.api.openapi import spec

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stoplist API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-init.js"></script>
</body></html>"""

_DOCS_SCRIPT = "SwaggerUIBundle({url: '/openapi.json', dom_id: '#ui'});"


@cache
def _spec_bytes() -> bytes:
    return orjson.dumps(spec())


async def openapi_json(request: Request) -> Response:
    return Response(_spec_bytes(), media_type="application/json")


async def docs_page(request: Request) -> Response:
    return HTMLResponse(_DOCS_PAGE)


async def docs_script(request: Request) -> Response:
    return Response(_DOCS_SCRIPT, media_type="text/javascript")


def routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Route("/docs/static/swagger-init.js", docs_script, methods=["GET"]),
        Mount("/docs/static", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path)),
    ]
