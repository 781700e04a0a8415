"""What every dashboard page starts with: session, account, language, CSRF, rendering.

``page`` wraps a handler so that it only ever runs for a signed-in account
(unless ``public``), receives a ``PageContext`` and never has to think about
cookies, security headers or refused forms.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, overload
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stoplist.domain.dashboard import Origin
from stoplist.domain.dashboard_access import DashboardAccess, Grant
from stoplist.domain.errors import BodyTooLarge
from stoplist.domain.stops import StopList
from stoplist.http.call import read_body
from stoplist.http.negotiation import language
from stoplist.i18n import LANGUAGES, N_, Catalogue, Language, catalogue
from stoplist.records.models import Account
from stoplist.storage.database import Database
from stoplist.web import csrf, params
from stoplist.web.formatting import Formats, page_locale
from stoplist.web.labels import label
from stoplist.web.session import Session, SessionCodec

logger = logging.getLogger("stoplist.web")

NOT_FOUND = N_("There is no such page or number in this account.")
_CSRF_FAILED = N_(
    "This form has expired or did not come from this site. Reload the page and try again."
)
PREFIX = "/dashboard"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _environment(words: Catalogue) -> Environment:
    """The templates for one language: ``_``/``gettext``/``pgettext`` and ``label`` speak it."""
    environment = Environment(
        loader=PackageLoader("stoplist.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    environment.globals["label"] = partial(label, words)
    return environment


_templates = {lang: _environment(catalogue(lang)) for lang in LANGUAGES}


class Refused(Exception):
    """A request the page answers with an error page (``message`` and ``title`` are msgids)."""

    def __init__(self, status: int, message: str, title: str = N_("Request refused")) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title


@dataclass
class PageContext:
    request: Request
    session: Session
    access: DashboardAccess
    lang: Language
    words: Catalogue
    account: Account | None

    @property
    def db(self) -> Database:
        return self.access.db

    @property
    def grant(self) -> Grant:
        assert self.session.grant is not None
        return self.session.grant

    @property
    def signed_in(self) -> Account:
        assert self.account is not None
        return self.account

    @cached_property
    def stop_list(self) -> StopList:
        return StopList(self.db, self.signed_in)

    @cached_property
    def fmt(self) -> Formats:
        """Counts, numbers, dates and times for this page's reader."""
        locale = page_locale(self.request.headers.get("accept-language"), self.lang)
        return Formats(locale, self.account)

    @property
    def local(self) -> Callable[[int], str]:
        """Formats an instant in the account's zone, in the page's locale."""
        return self.fmt.when

    def text(self, message: str, /, **values: object) -> str:
        """``message`` (an English msgid) in the page's language."""
        return self.words.text(message, **values)

    def text_in(self, context: str, message: str, /, **values: object) -> str:
        return self.words.text_in(context, message, **values)

    def label(self, table: str, value: object) -> str:
        return label(self.words, table, value)

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(self.render_html(template, **values), status_code=status)

    def render_html(self, template: str, **values: Any) -> str:
        return (
            _templates[self.lang]
            .get_template(template)
            .render(
                ctx=self,
                fmt=self.fmt,
                lang=self.lang,
                account=self.account,
                csrf_token=self.session.csrf_token,
                path=self.request.url.path,
                origins=list(Origin),
                prefix=PREFIX,
                **values,
            )
        )

    def redirect(self, path: str, **query: str) -> RedirectResponse:
        if query:
            path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return RedirectResponse(path, status_code=303)

    async def form(self, *, max_bytes: int | None = None) -> FormData:
        """The posted form, once its CSRF token is checked; ``Refused`` otherwise."""
        limit = max_bytes or self.request.app.state.max_body_bytes
        try:
            body = await read_body(self.request, limit)
        except BodyTooLarge:
            raise Refused(413, N_("The file is too large.")) from None

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(self.request.scope, replay).form(
                max_files=1, max_fields=100, max_part_size=limit
            )
        except Exception:
            logger.warning("dashboard form refused on %s: unreadable form body", self._path)
            raise Refused(400, _CSRF_FAILED) from None
        reason = csrf.refusal(self.request, self.session.csrf_token, form.get(csrf.FIELD))
        if reason is not None:
            logger.warning("dashboard form refused on %s: %s", self._path, reason)
            raise Refused(403, _CSRF_FAILED)
        return form

    @property
    def _path(self) -> str:
        return self.request.url.path


Handler = Callable[[PageContext], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@overload
def page(handler: Handler, *, public: bool = False) -> Endpoint: ...
@overload
def page(handler: None = None, *, public: bool = False) -> Callable[[Handler], Endpoint]: ...


def page(
    handler: Handler | None = None, *, public: bool = False
) -> Endpoint | Callable[[Handler], Endpoint]:
    """Turn ``handler(ctx)`` into a Starlette endpoint (see the module docstring)."""

    def wrap(inner: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            access, codec = await _services(request)
            session = codec.load(request)
            account = None
            if session.token is not None:
                resumed = await run_in_threadpool(access.resume, session.token)
                if resumed is None:
                    session.sign_out()
                else:
                    session.grant, account = resumed
            lang = language(request.headers.get("accept-language"))
            ctx = PageContext(request, session, access, lang, catalogue(lang), account)
            if account is None and not public:
                response: Response = _to_sign_in(request)
            else:
                try:
                    request.scope["path_params"] = _checked_path(request)
                    response = await inner(ctx)
                except Refused as refused:
                    response = ctx.render(
                        "error.html",
                        status=refused.status,
                        title=ctx.text(refused.title),
                        message=ctx.text(refused.message),
                    )
            if session.changed:
                codec.save(request, response, session)
            response.headers.update(SECURITY_HEADERS)
            return response

        return endpoint

    return wrap(handler) if handler is not None else wrap


def _checked_path(request: Request) -> dict[str, object]:
    try:
        return params.path_ids(request.path_params)
    except params.BadParameter as bad:
        raise Refused(
            400,
            N_(
                "This address is not valid: it holds a number or date this page cannot accept. "
                "Go back and follow a link instead."
            ),
            N_("Invalid address"),
        ) from bad


def safe_next(value: object) -> str:
    """Where to go after signing in: only ever a dashboard path of this site."""
    if isinstance(value, str) and value.startswith(PREFIX + "/") and "//" not in value:
        return value
    return PREFIX + "/"


def _to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = PREFIX + "/"
    return RedirectResponse(f"{PREFIX}/login?next={quote(target, safe='')}", status_code=303)


async def _services(request: Request) -> tuple[DashboardAccess, SessionCodec]:
    """The app's dashboard services, made on first use (the secret needs the database)."""
    state = request.app.state
    services = getattr(state, "dashboard_services", None)
    if services is None:
        access = DashboardAccess(state.db)
        secret = await run_in_threadpool(access.secret_key, state.settings.secret_key_value)
        services = (access, SessionCodec(secret))
        state.dashboard_services = services
    return services


def unavailable_page(request: Request) -> HTMLResponse:
    """The 503 page shown while the database is down; it needs nothing from the database."""
    lang = language(request.headers.get("accept-language"))
    words = catalogue(lang)
    html = (
        _templates[lang]
        .get_template("error.html")
        .render(
            lang=lang,
            account=None,
            path=request.url.path,
            prefix=PREFIX,
            title=words.text("Service unavailable"),
            message=words.text(
                "The database is not answering. Nothing was changed: try again in a moment."
            ),
        )
    )
    return HTMLResponse(html, status_code=503, headers=SECURITY_HEADERS)
