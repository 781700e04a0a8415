"""What a reply means: opt-out, opt-in, help, or just a reply.

People answer a campaign with "Stop", "ARRÊT !", "stop svp", "STOP 36180" or
"🛑 Stop merci": all of them must stop the number. They also write "Bus stop
at 5?", which must not. So a message is an opt-out only when, once
normalised (Unicode, accents, case, punctuation and emoji dropped), it *is* a
keyword, optionally preceded by a greeting or "please" and followed only by
polite words, reference words ("sms", "pub") or a short code. A keyword
buried in a sentence is never enough.

The engine is pure: an account's own additions and removals are handed in as
data (see ``KeywordSet.with_overrides``) and stored elsewhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stoplist.domain.errors import UnknownKeywordAction, UnusableKeyword
from stoplist.records.events import EventKind

MAX_KEYWORD_LENGTH = 100
MAX_SHORT_CODE_DIGITS = 15
_MAX_TEXT_LENGTH = 2000  # longer messages are replies; no need to read them all

NOT_A_KEYWORD = "none"
"""The override action that removes a built-in keyword for one account."""

OPT_OUT_BY_LANGUAGE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # English, and the carriers' common set
    "en": ("stop", "stopall", "stop all", "unsubscribe", "unsub", "cancel", "end", "quit",
           "revoke", "optout", "opt out", "remove", "remove me"),
    "fr": ("stop", "arret", "arrete", "arreter", "arretez", "desabonner", "desabonnement",
           "desabonnez", "desinscrire", "desinscription", "desinscrivez", "stop pub"),
    "es": ("baja", "darme de baja", "dar de baja", "parar", "detener", "cancelar", "alto",
           "anular", "basta ya"),
    "de": ("stopp", "halt", "abmelden", "abbestellen", "austragen", "beenden", "kundigen"),
    "it": ("stop", "ferma", "fermati", "basta", "cancella", "cancellami", "disiscrivi",
           "disiscrivimi", "annulla"),
    "pt": ("sair", "parar", "pare", "cancelar", "cancele", "descadastrar", "remover"),
    "nl": ("stop", "afmelden", "uitschrijven", "stoppen", "opzeggen"),
})  # fmt: skip
"""Opt-out keywords by the language they belong to (one may belong to several)."""

OPT_IN_BY_LANGUAGE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "en": ("start", "unstop", "resume", "subscribe"),
    "fr": ("start", "nonarret", "non arret", "reprendre"),
    "es": ("alta", "reanudar"),
    "de": ("start", "anmelden", "fortsetzen"),
    "it": ("start", "riprendi", "iscrivimi"),
    "pt": ("voltar", "retomar"),
    "nl": ("start", "aanmelden", "hervatten"),
})  # fmt: skip

HELP_BY_LANGUAGE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "en": ("help", "info", "infos", "information"),
    "fr": ("aide", "info", "infos"),
    "es": ("ayuda", "informacion", "info"),
    "de": ("hilfe", "info"),
    "it": ("aiuto", "info"),
    "pt": ("ajuda", "info"),
    "nl": ("hulp", "info"),
})  # fmt: skip


def _flat(by_language: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word for words in by_language.values() for word in words))


OPT_OUT_KEYWORDS: tuple[str, ...] = _flat(OPT_OUT_BY_LANGUAGE)
OPT_IN_KEYWORDS: tuple[str, ...] = _flat(OPT_IN_BY_LANGUAGE)
HELP_KEYWORDS: tuple[str, ...] = _flat(HELP_BY_LANGUAGE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEADING_WORDS: frozenset[str] = _words(
    """
    please pls plz hi hello hey svp stp bonjour bonsoir salut
    por favor hola buenas bitte hallo guten tag ciao buongiorno salve per favore
    ola bom dia alstublieft aub graag hoi goedendag
    """
) | {"por favor", "guten tag", "per favore", "bom dia"}
"""What may come before a keyword: greetings and "please", never anything else."""

TRAILING_WORDS: frozenset[str] = _words(
    """
    please pls plz thanks thank thx ty now all me it sms text texts txt msg msgs
    message messages pub pubs publicite promo promos marketing ad ads
    svp stp merci beaucoup moi tout tous svpl mrc
    por favor gracias mensaje mensajes publicidad todo todos
    bitte danke schon nachrichten werbung alle
    grazie mille messaggi messaggio pubblicita tutto tutti
    obrigado obrigada mensagens tudo
    alstublieft aub dank bedankt berichten bericht reclame alles
    """
) | {"thank you", "por favor", "per favore", "dank je", "dank u", "merci beaucoup"}
"""What may follow a keyword: polite and reference words (and short codes)."""


@dataclass(frozen=True, slots=True)
class Classification:
    """What a message means, and the keyword that decided it (if any)."""

    kind: EventKind
    keyword: str | None = None


REPLY = Classification(EventKind.REPLY)


def normalize_text(text: str) -> str:
    """Lower-case words of letters and digits only, separated by single spaces.

    NFKD splits accented letters so that the accents can be dropped, and
    folds compatibility forms (full-width letters, ligatures); case folding
    turns ``ß`` into ``ss``. Everything that is neither a letter nor a digit
    (punctuation, emoji, symbols) becomes a word break, and is judged as it
    was written: a symbol whose compatibility form holds letters (``㈀`` is
    ``(ᄀ)``, ``⒮`` is ``(s)``) stays a break rather than becoming a word.
    """
    written = "".join(
        char if unicodedata.category(char)[0] in "LNM" else " " for char in text[:_MAX_TEXT_LENGTH]
    )
    decomposed = unicodedata.normalize("NFKD", written).casefold()
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn":
            continue
        kept.append(char if category[0] in "LN" else " ")
    words = "".join(kept).split()
    if len(words) > 1 and all(len(word) == 1 for word in words):
        words = ["".join(words)]  # "S.T.O.P."
    return " ".join(words)


def normalize_keyword(keyword: str) -> str:
    """The form a keyword is stored and matched in; ``ValueError`` if nothing is left."""
    normalized = normalize_text(keyword)
    if not normalized or len(normalized) > MAX_KEYWORD_LENGTH:
        raise UnusableKeyword(keyword)
    return normalized


_ACTIONS = {
    EventKind.OPT_OUT.value: EventKind.OPT_OUT,
    EventKind.OPT_IN.value: EventKind.OPT_IN,
    EventKind.HELP.value: EventKind.HELP,
}


def parse_action(action: str) -> EventKind | None:
    """``opt_out``/``opt_in``/``help`` (or ``none``, meaning "not a keyword")."""
    value = action.strip().lower().replace("-", "_")
    if value == NOT_A_KEYWORD:
        return None
    try:
        return _ACTIONS[value]
    except KeyError:
        raise UnknownKeywordAction(action) from None


@dataclass(frozen=True, slots=True)
class KeywordSet:
    """Keywords (normalised phrases) and what each one means."""

    actions: Mapping[str, EventKind]
    longest: int = 1
    """The number of words in the longest keyword phrase."""

    @classmethod
    def of(cls, actions: Mapping[str, EventKind]) -> KeywordSet:
        longest = max((phrase.count(" ") + 1 for phrase in actions), default=1)
        return cls(MappingProxyType(dict(actions)), longest)

    @classmethod
    def built_in(cls) -> KeywordSet:
        return _BUILT_IN

    def with_overrides(self, overrides: Mapping[str, EventKind | None]) -> KeywordSet:
        """This set with an account's changes: a kind adds or redefines, ``None`` removes."""
        if not overrides:
            return self
        actions = dict(self.actions)
        for keyword, kind in overrides.items():
            if kind is None:
                actions.pop(keyword, None)
            else:
                actions[keyword] = kind
        return KeywordSet.of(actions)

    def classify(self, text: str | None) -> Classification:
        return classify(text, self)


def _build(groups: Iterable[tuple[EventKind, Iterable[str]]]) -> KeywordSet:
    actions: dict[str, EventKind] = {}
    for kind, words in groups:
        for word in words:
            actions[normalize_keyword(word)] = kind
    return KeywordSet.of(actions)


_BUILT_IN = _build(
    [
        (EventKind.HELP, HELP_KEYWORDS),
        (EventKind.OPT_IN, OPT_IN_KEYWORDS),
        (EventKind.OPT_OUT, OPT_OUT_KEYWORDS),
    ]
)


def classify(text: str | None, keywords: KeywordSet = _BUILT_IN) -> Classification:
    """Decide what ``text`` means under ``keywords``; anything unclear is a reply."""
    if not text:
        return REPLY
    words = normalize_text(text).split()
    if not words:
        return REPLY
    start = _skip(words, 0, LEADING_WORDS)
    found = _match_keyword(words, start, keywords)
    if found is None and start:
        found = _match_keyword(words, 0, keywords)  # "hola" or "bitte" as the keyword itself
    if found is None:
        return REPLY
    keyword, kind, position = found
    while position < len(words):
        after = _skip_one(words, position, TRAILING_WORDS)
        if after == position:
            again = _match_keyword(words, position, keywords)
            if again is None or again[1] is not kind:
                return REPLY
            after = again[2]
        position = after
    return Classification(kind, keyword)


def _match_keyword(
    words: list[str], start: int, keywords: KeywordSet
) -> tuple[str, EventKind, int] | None:
    """The longest keyword phrase starting at ``words[start]``, and where it ends."""
    for length in range(min(keywords.longest, len(words) - start), 0, -1):
        phrase = " ".join(words[start : start + length])
        kind = keywords.actions.get(phrase)
        if kind is not None:
            return phrase, kind, start + length
    return None


def _skip(words: list[str], start: int, vocabulary: frozenset[str]) -> int:
    position = start
    while position < len(words):
        after = _skip_one(words, position, vocabulary, allow_digits=False)
        if after == position:
            break
        position = after
    return position


def _skip_one(
    words: list[str], position: int, vocabulary: frozenset[str], *, allow_digits: bool = True
) -> int:
    """Past one filler phrase (or short code) at ``position``, or ``position`` itself."""
    if allow_digits and words[position].isdigit():
        if len(words[position]) <= MAX_SHORT_CODE_DIGITS:
            return position + 1
        return position
    for length in (2, 1):
        phrase = " ".join(words[position : position + length])
        if len(phrase.split()) == length and phrase in vocabulary:
            return position + length
    return position


def _languages_of_keywords() -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for groups in (HELP_BY_LANGUAGE, OPT_IN_BY_LANGUAGE, OPT_OUT_BY_LANGUAGE):
        for language, words in groups.items():
            for word in words:
                languages = found.setdefault(normalize_keyword(word), [])
                if language not in languages:
                    languages.append(language)
    return MappingProxyType({word: tuple(languages) for word, languages in found.items()})


_KEYWORD_LANGUAGES = _languages_of_keywords()


def keyword_languages(keyword: str) -> tuple[str, ...]:
    """The languages a built-in keyword (normalised) belongs to; empty for an account's own.

    "stop" is English, French, Italian and Dutch alike; the caller decides
    between them (the confirmation texts take the account's region).
    """
    return _KEYWORD_LANGUAGES.get(keyword, ())
