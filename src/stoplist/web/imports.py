"""The import page: a CSV or text file of numbers, with progress and a summary."""

from __future__ import annotations

from starlette.responses import Response

from stoplist.web.context import PageContext, page


@page
async def import_page(ctx: PageContext) -> Response:
    return ctx.render("import.html", available=False)


@page
async def run_import(ctx: PageContext) -> Response:
    await ctx.form()
    return ctx.render("import.html", status=503, available=False)
