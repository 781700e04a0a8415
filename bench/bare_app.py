"""The reference endpoints, on the same stack as stoplist (Starlette on uvicorn).

``/constant`` answers a fixed JSON body (the ceiling for ``check``) and
``/static`` serves a file from disk (the ceiling for a full ``list``): what
the framework and server cost with no work of ours in between.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

_CONSTANT = b'{"success":true,"code":200,"phoneNumber":"+33612345678","stopped":false}'


async def constant(request: Request) -> Response:
    return Response(_CONSTANT, media_type="application/json")


async def static(request: Request) -> Response:
    return FileResponse(os.environ["BENCH_STATIC_FILE"], media_type="application/json")


app = Starlette(
    routes=[
        Route("/constant", constant, methods=["GET", "POST"]),
        Route("/static", static, methods=["GET"]),
    ]
)
