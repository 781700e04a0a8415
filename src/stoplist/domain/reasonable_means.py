"""Opt-outs by any reasonable means: messages that plainly ask to stop.

The exact-keyword engine (``domain.keywords``) decides "STOP" and "arrêt
svp"; it rightly leaves "please stop texting me" and "ne m'envoyez plus de
SMS" alone, because a keyword inside a sentence is not enough. The rules of
the US FCC (2024 TCPA order) make any reasonable expression of "stop texting
me" a revocation all the same, so this module reads such sentences in the
seven supported languages, and only them: "stop by the shop tomorrow?",
"don't stop the offers" and "where is the bus stop" stay replies.

It is a curated phrase grammar, not a model: every rule is a short pattern
of words and word classes (see ``_Rule``), written per language, over the
same normalised text the keyword engine reads (accents, case, punctuation
and emoji folded away). Before matching, SMS spellings are expanded
("jveux", "dont", "+") and a word we do not know is corrected to the one
rule word within a small edit distance ("unsubcribe", "mesaggi"). A rule
that says "stop ..." is cancelled by a negation just before it ("don't
stop", "no dejen de"). Precision matters as much as recall: the labelled
corpus in ``tests/fixtures/reasonable_means`` keeps both in view, and
``python -m tests.reasonable_corpus`` prints them.

The result names the language and the words that decided, so that a
reviewer (or a later confirmation message) can see why.

Most of its length is the seven languages' phrase lists, kept beside the
rules that read them, so that a phrase and the rule it feeds change together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from stoplist.domain.keywords import normalize_text

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de", "it", "pt", "nl")
_MAX_WORDS = 200
"""A message asking to stop says so early; a very long one is read up to here."""


@dataclass(frozen=True, slots=True)
class Recognised:
    """A message that asks to stop: in which language, and the words that said so."""

    language: str
    phrase: str


@dataclass(frozen=True, slots=True)
class _Rule:
    """One pattern, and whether a negation just before it cancels it.

    The pattern is words separated by spaces, each of them:
    ``a|b`` one of these words; ``{class}`` a word of the language's class;
    ``?x`` the token ``x`` or nothing; ``~N`` up to N filler words of the
    language (articles, pronouns, polite words); ``*N`` up to N words of any
    kind; ``^`` the start of the message (after greetings).
    """

    pattern: str
    negatable: bool = False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EXPANSIONS: Mapping[str, str] = {
    # English
    "dont": "don t", "didnt": "didn t", "wont": "won t", "cant": "can t", "pls": "please",
    "plz": "please", "pleas": "please", "u": "you", "ur": "your", "txt": "text",
    "txts": "texts", "txting": "texting", "texing": "texting", "msg": "message",
    "msgs": "messages", "msging": "messaging", "msgn": "messaging",
    # French
    "jveux": "je veux", "jveu": "je veux", "chui": "je suis", "menvoyer": "m envoyer",
    "menvoyez": "m envoyez", "menvoie": "m envoie", "mecrire": "m ecrire",
    "mecrivez": "m ecrivez", "nenvoyez": "n envoyez",
    # Spanish, Italian, Portuguese
    "kiero": "quiero", "msj": "mensaje", "msjs": "mensajes", "nn": "non", "kero": "quero",
    "mensagns": "mensagens",
}  # fmt: skip
"""SMS spellings, written out before anything is read."""

_NEGATIONS: Mapping[str, frozenset[str]] = {
    "en": _words("don t not never won t can t didn t doesn t shouldn t"),
    "fr": _words("ne n pas jamais"),
    "es": _words("no nunca jamas"),
    "de": _words("nicht nie niemals"),
    "it": _words("non mai"),
    "pt": _words("nao nunca jamais n"),
    "nl": _words("niet nooit"),
}

_FILLERS: Mapping[str, frozenset[str]] = {
    "en": _words(
        """me my the these those this that your all any of to with from us
        sending those such stupid fucking damn number again anymore more please"""
    ),
    "fr": _words(
        """m me moi de d des les vos ces tes la le l votre vos mon ma mes du a au
        tous toutes rien plus svp stp un une sur"""
    ),
    "es": _words(
        """me de d del la las los el sus su mi mis esos estos esas estas tus
        mas nada ya por favor x porfa a con"""
    ),
    "de": _words(
        """mir mich mit dem den der die das zu ihre ihren ihrem eure euren eurem
        bitte sie ihr mehr noch nur diese diesen dieser"""
    ),
    "it": _words(
        """mi me di i il la le lo gli dei delle della dalla dalle dal vostri vostre
        vostra vostro tuoi tue questi queste per favore piu plus altri altre a niente con"""
    ),
    "pt": _words(
        """me de da do das dos a o as os vossa vossas vosso seus suas sua seu meu minha
        essas esses estas estes mais plus outras outros por favor pf nada"""
    ),
    "nl": _words(
        """me mij met het de die deze dat van jullie je uw mijn aub graag alsjeblieft
        alstublieft meer naar dit uit"""
    ),
}

_CLASSES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "stop": "stop quit cease halt",
        "sending": """texting text texts messaging message messages sending send sms
            smsing spamming spam contacting contact calling emailing writing bothering""",
        "send": "text message contact send sms call spam email write",
        "messages": "texts messages message sms text spam marketing ads promos offers",
        "remove": "remove delete take erase",
        "me": "me my this",
        "list": "list lists database contacts",
    },
    "fr": {
        "arret": """arretez arrete arreter arretes cessez cesse cesser stoppez stop
            stopper""",
        "send": """envoyer envoyez envoie envoyes ecrire ecrivez contacter contactez
            spammer harceler texter""",
        "sendnow": "envoyez envoie ecrivez contactez envoyer ecrire contacter texter",
        "msgs": """sms messages message msg textos texto pubs pub publicite publicites
            mails mail promos""",
        "veux": "veux veut voulons souhaite souhaitons desire",
        "remove": "retirez retirer supprimez supprimer enlevez enlever effacez effacer retire",
        "me": "moi m me mon",
        "unsub": """desinscrivez desinscrire desinscris desinscription desabonner
            desabonnez desabonne desabonnement""",
        "list": "liste listes fichier fichiers diffusion",
    },
    "es": {
        "sendsubj": """manden envien mandes envies escriban escribas contacten contactes
            llamen molesten mandeis envieis escribais""",
        "stopv": "dejen deja dejar dejad paren para parar parad",
        "sendinf": """mandarme enviarme escribirme mandar enviar escribir molestar
            molestarme contactarme llamarme spamear""",
        "msgs": "mensajes mensaje sms publicidad promociones",
        "removeme": """borrenme quitenme saquenme eliminenme borradme quitadme sacadme
            borrame quitame sacame eliminame""",
        "remove": "borren eliminen quiten saquen borra elimina quita",
        "list": "lista listas base",
    },
    "de": {
        "msgs": "sms nachrichten nachricht werbung messages mitteilungen",
        "mehr": "mehr mer merh meh",
        "want": "will mochte moechte mag wollen",
        "horen": "horen hort hor hoert hoeren",
        "sendinf": "schreiben schicken senden kontaktieren zuschicken zusenden spam spammen",
        "sendfin": "schicken schickt senden sendet schreiben schreibt kontaktieren kontaktiert",
        "remove": "loschen loscht loeschen entfernen entfernt streichen streicht",
        "get": "bekommen erhalten kriegen",
        "list": "liste verteiler kartei",
    },
    "it": {
        "non": "non",
        "voglio": "voglio vogliamo",
        "msgs": "messaggi messaggio sms pubblicita promozioni ricevere",
        "sendimp": """mandatemi inviatemi scrivetemi contattatemi mandate inviate scrivete
            mandami inviami scrivimi contattami contattate""",
        "smetti": "smettete smettetela smettila smetti smettere smettiate smettano",
        "sendinf": "mandarmi inviarmi scrivermi contattarmi mandare inviare scrivere",
        "removeme": "cancellatemi toglietemi rimuovetemi eliminatemi",
        "remove": "cancellate eliminate rimuovete togliete",
        "unsub": "disiscrivermi disiscrivere disiscrizione cancellarmi",
        "list": "lista liste elenco",
    },
    "pt": {
        "nao": "nao n nunca",
        "quero": "quero queremos",
        "msgs": "mensagens mensagem sms publicidade promocoes receber msgs",
        "sendsubj": """mandem enviem contactem contatem escrevam liguem mande envie
            contacte escreva""",
        "parem": "parem para pare parar",
        "sendinf": "mandar enviar escrever contactar contatar ligar",
        "remove": "apaguem removam tirem retirem eliminem",
        "list": "lista listas",
    },
    "nl": {
        "msgs": "berichten bericht berichtjes sms smsjes reclame",
        "meer": "meer mee mer",
        "stopmet": "stop hou houd stoppen ophouden",
        "sending": "sturen sms en smsen spammen berichten sms versturen",
        "me": "me mij",
        "send": "sturen sms smsen versturen ontvangen gecontacteerd contacteren benaderen",
        "list": "lijst lijsten bestand",
    },
}

_RULES: Mapping[str, tuple[_Rule, ...]] = {
    "en": (
        _Rule("{stop} ~2 {sending}", negatable=True),
        _Rule("don t ?ever {send} me"),
        _Rule("never ?ever {send} me"),
        _Rule("do not ?ever {send} me"),
        _Rule("no more {messages}"),
        _Rule("don t want ~3 {messages}"),
        _Rule("do not want ~3 {messages}"),
        _Rule("don t want ~1 to receive|get"),
        _Rule("do not want ~1 to receive|get"),
        _Rule("{remove} me ~1 from|off ~2 {list}"),
        _Rule("{remove} ~1 my|this number"),
        _Rule("take me off"),
        _Rule("leave me alone"),
        _Rule("unsubscribe|unsub", negatable=True),
        _Rule("opt ?me out", negatable=True),
    ),
    "fr": (
        _Rule("{arret} de|d ~2 {send}", negatable=True),
        _Rule("{arret} les|vos|ces|tes ~1 {msgs}", negatable=True),
        _Rule("{sendnow} ?moi plus"),
        _Rule("ne plus ~1 {send}"),
        _Rule("{veux} plus ~3 {msgs}|recevoir"),
        _Rule("^ plus de|d {msgs}"),
        _Rule("^ stop ~2 {msgs}"),
        _Rule("laissez|laisse|laissez moi|m ~1 tranquille|tranquilles"),
        _Rule("fichez|foutez|fiche|fous moi la paix"),
        _Rule("{remove} ~1 {me} ~1 numero|de|d"),
        _Rule("{remove} moi"),
        _Rule("me|m {remove} ~3 {list}"),
        _Rule("{unsub}", negatable=True),
    ),
    "es": (
        _Rule("no ~1 {sendsubj} ~1 mas|nada"),
        _Rule("{stopv} de|d ~1 {sendinf}", negatable=True),
        _Rule("no quiero ~3 {msgs}|recibir"),
        _Rule("de baja"),
        _Rule("{removeme} ~3 {list}"),
        _Rule("{remove} ~1 mi numero"),
        _Rule("dejenme|dejame|dejadme en paz"),
        _Rule("basta de|con ~1 {msgs}"),
        _Rule("^ no mas {msgs}"),
        _Rule("cancelar ~2 suscripcion"),
    ),
    "de": (
        _Rule("keine ~2 {msgs} {mehr}"),
        _Rule("{want} keine ~2 {msgs}"),
        _Rule("{horen} ~1 auf ~4 {sendinf}|{msgs}"),
        _Rule("lassen|lasst|lass ?sie mich ?bitte in ruhe"),
        _Rule("{sendfin} ~1 mir|mich ~1 nichts|nicht|keine ~1 mehr"),
        _Rule("{remove} ~2 mich"),
        _Rule("{remove} ~2 meine nummer"),
        _Rule("nehmen|nehmt ~1 mich aus|von ~3 {list}"),
        _Rule("abmelden|abbestellen|austragen|abmelde"),
        _Rule("melden|meldet|melde ~3 ab"),
        _Rule("tragen|tragt ~3 aus"),
        _Rule("nicht mehr {sendinf}|{get}"),
    ),
    "it": (
        _Rule("{non} {voglio} ~3 {msgs}"),
        _Rule("{non} {sendimp} piu|plus|niente"),
        _Rule("{smetti} di ~1 {sendinf}", negatable=True),
        _Rule("lasciatemi|lasciami in pace"),
        _Rule("{remove} il mio numero"),
        _Rule("{removeme} ~3 {list}"),
        _Rule("rimosso|rimossa|tolto|tolta|cancellato|cancellata ~2 {list}"),
        _Rule("{remove} ~1 mio numero"),
        _Rule("{unsub}", negatable=True),
        _Rule("basta ~2 {msgs}"),
        _Rule("niente piu|plus {msgs}"),
    ),
    "pt": (
        _Rule("{nao} {quero} ~3 {msgs}"),
        _Rule("{nao} ?me {sendsubj} mais|plus|nada"),
        _Rule("{parem} de ?me {sendinf}", negatable=True),
        _Rule("deixem|deixe|deixa ?me em paz"),
        _Rule("{remove} ~2 numero"),
        _Rule("{remove} ~1 me ~3 {list}"),
        _Rule("me {remove} ~3 {list}"),
        _Rule("removido|removida|retirado|retirada ~2 {list}"),
        _Rule("descadastrar|descadastrarme|desinscrever|desinscreverme"),
        _Rule("cancelar ~2 inscricao|subscricao|assinatura"),
        _Rule("chega de|dessas|destas ~1 {msgs}"),
        _Rule("chega dessas|destas"),
        _Rule("sem mais {msgs}"),
    ),
    "nl": (
        _Rule("geen ~2 {msgs} {meer}"),
        _Rule("{meer} geen {msgs}"),
        _Rule("stuur|stuurt ~1 niks|niets meer"),
        _Rule("{stopmet} ?op met ~3 {sending}|{msgs}", negatable=True),
        _Rule("laat {me} ~1 met rust"),
        _Rule("verwijder ~1 me|mij|mijn"),
        _Rule("haal {me}|mijn ?nummer ~3 {list}"),
        _Rule("afmelden|uitschrijven"),
        _Rule("meld ~2 af"),
        _Rule("schrijf ~2 uit"),
        _Rule("niet meer {send}"),
        _Rule("{send} {me} niet meer"),
        _Rule("{msgs} niet meer"),
        _Rule("neem geen contact"),
    ),
}

_PROTECTED = _words(
    """subscribe subscribed inscrire inscris inscrit abonner abonne suscribir suscribo
    anmelden angemeldet iscrivere iscriviti iscritto inscrever inscrevo aanmelden
    aangemeld"""
)
"""Words that mean the opposite of a rule word a letter or two away: never "corrected"."""

_LEADING = _words(
    """please hi hello hey bonjour salut bonsoir svp stp hola buenas por favor hallo bitte
    ciao buongiorno ola bom dia hoi hallo goedendag graag aub ok oke"""
)


def recognise(text: str | None) -> Recognised | None:
    """The language and decisive words if ``text`` plainly asks to stop, else None."""
    if not text:
        return None
    words = _prepare(text)
    if not words:
        return None
    joined = " " + " ".join(words) + " "
    present = frozenset(words)
    for language in LANGUAGES:
        for rule, compiled, needed in _compiled(language):
            if needed.isdisjoint(present):
                continue  # the rule's first word is not in the message: no need to search
            for found in compiled.finditer(joined):
                if rule.negatable and _negated(joined, found.start(), language):
                    continue
                return Recognised(language, found.group(0).strip())
    return None


def _prepare(text: str) -> list[str]:
    """Normalised words, SMS spellings written out and typos of rule words corrected."""
    normalized = normalize_text(text.replace("+", " plus ")).split()[:_MAX_WORDS]
    expanded: list[str] = []
    for word in normalized:
        expanded.extend(_EXPANSIONS.get(word, word).split())
    vocabulary = _vocabulary()
    return [_corrected(word, vocabulary) for word in expanded]


def _negated(joined: str, start: int, language: str) -> bool:
    """A negation just before the match: "don't stop", "no dejen de", "ne vous arrêtez".

    Only the word before counts (two in French, whose "ne" comes before the
    pronoun), so that "I never signed up, stop texting me" still asks to stop.
    """
    before = joined[:start].split()[-2:]
    if language == "en" and before in (["don", "t"], ["do", "not"]):
        return True
    window = before if language == "fr" else before[-1:]
    return any(word in _NEGATIONS[language] for word in window)


def _corrected(word: str, vocabulary: frozenset[str]) -> str:
    """``word``, or the one rule word it is a typo of (edit distance 1, or 2 when long)."""
    if len(word) < 5 or word in vocabulary or word in _PROTECTED or word.isdigit():
        return word
    return _correction(word)


@lru_cache(maxsize=50_000)
def _correction(word: str) -> str:
    """``_corrected`` for a word that may be a typo (most words recur: asked once each)."""
    allowed = 2 if len(word) >= 10 else 1
    reach = {candidate: _distance(word, candidate) for candidate in _near(word, allowed)}
    reach = {candidate: distance for candidate, distance in reach.items() if distance <= allowed}
    if not reach:
        return word
    closest = min(reach.values())
    candidates = [candidate for candidate, distance in reach.items() if distance == closest]
    if len(candidates) > 1:
        # The usual SMS typo drops a letter: prefer the words this one is a shortening of.
        candidates = [candidate for candidate in candidates if _is_shortening(word, candidate)]
    if len(candidates) != 1:
        return word  # a typo of two different words: leave it be
    return candidates[0]


def _is_shortening(word: str, candidate: str) -> bool:
    letters = iter(candidate)
    return all(char in letters for char in word)


def _near(word: str, allowed: int) -> set[str]:
    """Rule words sharing a deletion variant with ``word`` (a superset of those in reach)."""
    index = _deletion_index()
    found: set[str] = set()
    for variant in _deletions(word, allowed):
        found |= index.get(variant, set())
    return found


def _deletions(word: str, depth: int) -> set[str]:
    variants = {word}
    for _ in range(depth):
        variants |= {v[:i] + v[i + 1 :] for v in variants for i in range(len(v))}
    return variants


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap counts once."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


@cache
def _vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for language in LANGUAGES:
        for members in _CLASSES.get(language, {}).values():
            words |= set(members.split())
        for rule in _RULES[language]:
            for token in rule.pattern.split():
                if token[0] not in "{~*^":
                    words |= set(token.lstrip("?").split("|")) - {""}
    words |= set(_EXPANSIONS.values())
    return frozenset(word for word in words if not word.startswith("{"))


@cache
def _deletion_index() -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for word in _vocabulary():
        if len(word) < 4:
            continue
        depth = 2 if len(word) >= 10 else 1
        for variant in _deletions(word, depth):
            index.setdefault(variant, set()).add(word)
    return index


@cache
def _compiled(language: str) -> tuple[tuple[_Rule, re.Pattern[str], frozenset[str]], ...]:
    return tuple(
        (rule, _compile(rule.pattern, language), _first_words(rule.pattern, language))
        for rule in _RULES[language]
    )


def _first_words(pattern: str, language: str) -> frozenset[str]:
    """The words one of which a message must hold for ``pattern`` to match it."""
    classes = _CLASSES.get(language, {})
    for token in pattern.split():
        if token == "^" or token[0] in "~*?":
            continue
        words: set[str] = set()
        for choice in token.split("|"):
            if choice.startswith("{"):
                words |= set(classes[choice.strip("{}")].split())
            else:
                words.add(choice)
        return frozenset(words)
    raise ValueError(f"a rule needs a word that is not optional: {pattern!r}")


def _compile(pattern: str, language: str) -> re.Pattern[str]:
    classes = _CLASSES.get(language, {})
    parts: list[str] = []
    anchored = False
    for token in pattern.split():
        if token == "^":
            anchored = True
            continue
        if token[0] in "~*":
            count = int(token[1:])
            words = r"\S+" if token[0] == "*" else _alternation(_FILLERS[language])
            parts.append(f"(?:(?:{words}) ){{0,{count}}}")
            continue
        optional = token.startswith("?")
        alternatives: list[str] = []
        for choice in token.lstrip("?").split("|"):
            if choice.startswith("{"):
                alternatives.extend(classes[choice.strip("{}")].split())
            else:
                alternatives.append(choice)
        group = f"(?:(?:{_alternation(alternatives)}) )"
        parts.append(group + "?" if optional else group)
    start = r"^ (?:(?:" + _alternation(_LEADING) + r") )*" if anchored else " "
    return re.compile(start + "".join(parts))


def _alternation(words: Iterable[str]) -> str:
    """Longest first, so that a word is never cut short by one of its prefixes."""
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda w: (-len(w), w)))
