"""What a reply means: opt-out, opt-in, help, or just a reply.

People answer a campaign with "Stop", "ARRÊT !", "stop svp", "STOP 36180" or
"🛑 Stop merci": all of them must stop the number. They also write "Bus stop
at 5?", which must not. So a message is an opt-out only when, once
normalised (Unicode, accents, case, punctuation and emoji dropped), it *is* a
keyword, optionally preceded by a greeting, "please", "thanks" or "ok" and
followed only by polite words ("merci d'avance", "s.v.p."), reference words
("sms", "pub") or a short code ("36180", "au 36180", or glued on: "STOP36180").
A keyword buried in a sentence is never enough.

The engine is pure: an account's own additions and removals are handed in as
data (see ``KeywordSet.with_overrides``) and stored elsewhere.
"""

from __future__ import annotations

import re
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
           "desabonnez", "desinscrire", "desinscription", "desinscrivez", "stop pub",
           "annuler", "quitter", "fin"),  # as CANCEL, QUIT and END are in English
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


_PLEASE_PHRASES = frozenset({
    "s il vous plait", "s il te plait", "sil vous plait", "sil te plait",
    "por favor", "per favore",
})  # fmt: skip
""""Please" in more than one word; "s.v.p." and "a.u.b." are read as "svp" and "aub"."""

_THANKS_PHRASES = frozenset({
    "thank you", "merci beaucoup", "merci bcp", "dank je", "dank u", "dank je wel", "dank u wel",
    "vielen dank", "muchas gracias", "grazie mille", "muito obrigado", "muito obrigada",
})  # fmt: skip
"""Thanks in more than one word, before or after the keyword."""

LEADING_WORDS: frozenset[str] = (
    _words(
        """
        please pls plz hi hello hey svp stp bonjour bonsoir salut
        por favor hola buenas bitte hallo guten tag ciao buongiorno salve per favore
        ola bom dia alstublieft alsjeblieft aub graag hoi goedendag
        ok oke okay thanks thx merci gracias danke grazie obrigado obrigada bedankt
        reponse reply
        """
    )
    | {"guten tag", "bom dia"}
    | _PLEASE_PHRASES
    | _THANKS_PHRASES
)
"""What may come before a keyword: greetings, "please", "thanks" and "ok", nothing else.

"Merci stop" and "OK stop" say stop as plainly as "Stop merci". "Réponse"
and "reply" too: people copy "Réponse STOP" from "Répondez STOP" in a campaign,
and "Reply STOP" from "Reply STOP to opt out"."""

TRAILING_WORDS: frozenset[str] = (
    _words(
        """
        please pls plz thanks thank thx ty now all me it sms text texts txt msg msgs
        message messages pub pubs publicite promo promos marketing ad ads
        svp stp merci beaucoup bcp moi tout tous svpl mrc cordialement
        por favor gracias mensaje mensajes publicidad todo todos
        bitte danke schon nachrichten werbung alle
        grazie mille messaggi messaggio pubblicita tutto tutti
        obrigado obrigada mensagens tudo
        alstublieft alsjeblieft aub dank bedankt dankjewel dankuwel berichten bericht
        reclame alles
        """
    )
    | _PLEASE_PHRASES
    | _THANKS_PHRASES
    | {"merci d avance", "bonne journee", "bonne soiree", "bonne fin de journee"}
)
"""What may follow a keyword: polite and reference words (and short codes)."""

_LONGEST_FILLER = max(phrase.count(" ") + 1 for phrase in LEADING_WORDS | TRAILING_WORDS)

SHORT_CODE_DIGITS = range(5, 7)
"""The length of the short codes campaigns are sent from (five digits in France)."""

SHORT_CODE_PREPOSITIONS: frozenset[str] = _words("to au al an ao naar aan")
"""What people copy from "reply STOP to 36180" before the short code: "STOP au 36180"."""

_GLUED_SHORT_CODE = re.compile(
    rf"(\D+)(\d{{{SHORT_CODE_DIGITS.start},{SHORT_CODE_DIGITS.stop - 1}}})"
)


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
    verdict = _classify_words(words, keywords)
    if verdict is REPLY:
        respelled = _respelled(words)
        if respelled != words:
            verdict = _classify_words(respelled, keywords)
    return verdict


def _respelled(words: list[str]) -> list[str]:
    """``words`` as people meant them: "s v p" is "svp", "stop36180" is "stop 36180".

    A second reading only, tried when the words as written say nothing, so
    that an account's own keyword is always matched as it was written.
    """
    spaced: list[str] = []
    for word in words:
        glued = _GLUED_SHORT_CODE.fullmatch(word)
        spaced.extend(glued.groups() if glued else (word,))
    return _rejoin_single_letters(spaced)


def _rejoin_single_letters(words: list[str]) -> list[str]:
    """Runs of two or more one-letter words as one word: "stop a u b" reads "stop aub"."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) > 1:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined


def _classify_words(words: list[str], keywords: KeywordSet) -> Classification:
    """Greetings, then a keyword, then only fillers, short codes or the same kind again."""
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
    if allow_digits and _is_short_code_after_preposition(words, position):
        return position + 2
    for length in range(min(_LONGEST_FILLER, len(words) - position), 0, -1):
        phrase = " ".join(words[position : position + length])
        if phrase in vocabulary:
            return position + length
    return position


def _is_short_code_after_preposition(words: list[str], position: int) -> bool:
    """A short code after "au" or "to" ("STOP au 36180"); only a short code's length of
    digits counts, so that "stop at 5" stays a reply."""
    if words[position] not in SHORT_CODE_PREPOSITIONS or position + 1 >= len(words):
        return False
    code = words[position + 1]
    return code.isdigit() and len(code) in SHORT_CODE_DIGITS


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
