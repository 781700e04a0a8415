"""A database that cannot be opened, in one line in the command line's language.

``storage.diagnose`` finds the cause and the names involved; the words are
here, in the catalogue, so ``stoplist serve`` under a French locale says why
in French like every other error line.
"""

from __future__ import annotations

from stoplist.cli.language import _
from stoplist.i18n import N_
from stoplist.storage.diagnose import Cause, Diagnosis

# Each sentence takes the placeholders it needs from the diagnosis' fields.
_CAUSES: dict[Cause, str] = {
    Cause.MISSING_DIRECTORY: N_("the directory %(path)s does not exist: create it or fix the path"),
    Cause.NO_SUCH_FILE: N_(
        "there is no such file: point at yours with --database or STOPLIST_DATABASE_URL "
        "(only serve and accounts create start a new database)"
    ),
    Cause.NO_STOPLIST_SCHEMA: N_(
        "it holds no stoplist database: point at yours with --database or "
        "STOPLIST_DATABASE_URL (only serve and accounts create start a new database)"
    ),
    Cause.NOT_A_FILE: N_("%(path)s is not a file"),
    Cause.READ_ONLY_FILE: N_(
        "%(path)s is read-only for this user: stoplist must be able to write it"
    ),
    Cause.READ_ONLY_DIRECTORY: N_(
        "the directory %(path)s is read-only for this user: SQLite writes its "
        "journal files beside the database"
    ),
    Cause.NOT_A_DATABASE: N_("%(path)s is not a SQLite database (wrong file?)"),
    Cause.READ_ONLY: N_(
        "%(path)s is read-only: stoplist must be able to write it and its directory"
    ),
    Cause.SQLITE_CANNOT_OPEN: N_("SQLite cannot open %(path)s: check permissions"),
    Cause.DISK_IO: N_("SQLite cannot read or write %(path)s (disk I/O error)"),
    Cause.NO_ROLE: N_(
        'PostgreSQL at %(host)s port %(port)s has no role "%(name)s": check the user in the URL'
    ),
    Cause.NO_DATABASE: N_(
        'PostgreSQL at %(host)s port %(port)s has no database "%(name)s": '
        "create it (createdb) or check the name in the URL"
    ),
    Cause.PASSWORD_REFUSED: N_(
        "PostgreSQL at %(host)s port %(port)s refused the password for user %(user)s"
    ),
    Cause.NOTHING_LISTENING: N_(
        "nothing is listening at %(host)s port %(port)s: is PostgreSQL running there, on that port?"
    ),
    Cause.UNKNOWN_HOST: N_(
        "the host name %(quoted_host)s cannot be resolved: check the host in the URL"
    ),
    Cause.NO_ANSWER: N_(
        "no answer from %(host)s port %(port)s: check the host, the port and any firewall"
    ),
    Cause.INVALID_PORT: N_("the port in the URL is not a valid port number"),
    Cause.NOT_ALLOWED: N_(
        "PostgreSQL at %(host)s port %(port)s does not allow this connection (see its pg_hba.conf)"
    ),
}


def cannot_open(diagnosis: Diagnosis) -> str:
    """``cannot open the database <where>: <cause>``, in the current language."""
    return _(
        "cannot open the database %(where)s: %(problem)s",
        where=diagnosis.where,
        problem=cause(diagnosis),
    )


def cause(diagnosis: Diagnosis) -> str:
    """The likely cause and what to check; an unrecognised one is the driver's own line."""
    message = _CAUSES.get(diagnosis.cause)
    if message is None:
        return diagnosis.detail or ""
    return _(
        message,
        path=diagnosis.path,
        host=diagnosis.host,
        port=diagnosis.port,
        user=repr(diagnosis.user),
        name=diagnosis.name,
        quoted_host=repr(diagnosis.host),
    )
