"""The "Confirmations" page: the texts sent after STOP, START and HELP, and how they go.

Every text of every kind and language is shown, the account's own or the
default; saving the default (or an empty text) goes back to it. The SMS
Partner key is a secret: it is typed in, never shown again (only its last
four characters), and an empty field keeps the one kept.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist import wording
from stoplist.domain.confirmations import KINDS, Confirmations, ConfirmationSettings, Text
from stoplist.domain.reasonable_means import LANGUAGES
from stoplist.storage.confirmations import ConfirmationRow
from stoplist.web.context import PREFIX, PageContext, page

PATH = PREFIX + "/confirmations"
RECENT = 20


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, confirmations_page, methods=["GET"]),
        Route(PATH + "/settings", save_settings, methods=["POST"]),
        Route(PATH + "/texts", save_text, methods=["POST"]),
    ]


async def _render(ctx: PageContext, *, status: int = 200, **values: object) -> Response:
    confirmations = Confirmations(ctx.db, ctx.signed_in)

    def load() -> tuple[ConfirmationSettings, list[Text], list[ConfirmationRow]]:
        return confirmations.settings(), confirmations.texts(), confirmations.recent(RECENT)

    settings, texts, recent = await run_in_threadpool(load)
    if "message" not in values and ctx.request.query_params.get("done") == "saved":
        values["message"] = ctx.text("Saved.")
    return ctx.render(
        "confirmations.html",
        status=status,
        settings=settings,
        texts=texts,
        recent=recent,
        kinds=KINDS,
        languages=LANGUAGES,
        **values,
    )


@page
async def confirmations_page(ctx: PageContext) -> Response:
    return await _render(ctx)


@page
async def save_settings(ctx: PageContext) -> Response:
    form = await ctx.form()
    key = str(form.get("smspartner_key", "")).strip()
    try:
        await run_in_threadpool(
            lambda: Confirmations(ctx.db, ctx.signed_in).update(
                enabled=form.get("enabled") == "on",
                sender=str(form.get("sender", "")),
                smspartner_key=key or None,
                forget_smspartner_key=form.get("forget_key") == "on",
            )
        )
    except ValueError as exc:
        return await _render(ctx, status=422, settings_error=_refused(ctx, exc))
    return ctx.redirect(PATH, done="saved")


@page
async def save_text(ctx: PageContext) -> Response:
    form = await ctx.form()
    kind, language = str(form.get("kind", "")), str(form.get("language", ""))
    text = str(form.get("text", "")).strip()
    default = form.get("action") == "default" or not text
    try:
        await run_in_threadpool(
            Confirmations(ctx.db, ctx.signed_in).set_text,
            kind,
            language,
            None if default else text,
        )
    except ValueError as exc:
        return await _render(ctx, status=422, texts_error=_refused(ctx, exc))
    return ctx.redirect(PATH, done="saved")


def _refused(ctx: PageContext, error: Exception) -> str:
    return ctx.text("This value was refused: %(detail)s", detail=wording.problem(error, ctx.lang))
