"""The labelled corpus of stop requests and ordinary replies, and how well stoplist reads it.

Each language has two files in ``fixtures/reasonable_means``: ``<lang>.tsv``,
which the rules were tuned on, and ``<lang>.heldout.tsv``, written at the same
time and never used for tuning, so its figures say how the rules do on
messages they have not seen. A line is ``stop`` or ``reply``, a tab, and the
message. A message counts as an opt-out when the keyword engine or the
reasonable-means classifier says so, as on a real inbound message.

``python -m tests.reasonable_corpus`` prints the table the README shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stoplist.domain.keywords import classify
from stoplist.domain.reasonable_means import LANGUAGES, recognise
from stoplist.records.events import EventKind

CORPUS = Path(__file__).parent / "fixtures" / "reasonable_means"
PARTS = ("tuning", "heldout")
RECALL_GOAL = 0.95
FLAGGED_REPLIES_LIMIT = 0.01


@dataclass(frozen=True, slots=True)
class Labelled:
    language: str
    stop: bool
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    language: str
    part: str
    stops: int
    replies: int
    stops_found: int
    replies_flagged: int
    missed: tuple[str, ...]
    flagged: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.stops_found / self.stops if self.stops else 1.0

    @property
    def precision(self) -> float:
        found = self.stops_found + self.replies_flagged
        return self.stops_found / found if found else 1.0

    @property
    def flagged_rate(self) -> float:
        return self.replies_flagged / self.replies if self.replies else 0.0

    @property
    def meets_goal(self) -> bool:
        return self.recall >= RECALL_GOAL and self.flagged_rate <= FLAGGED_REPLIES_LIMIT


def load(language: str, part: str) -> list[Labelled]:
    name = f"{language}.tsv" if part == "tuning" else f"{language}.heldout.tsv"
    messages = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        assert label in ("stop", "reply"), line
        messages.append(Labelled(language, label == "stop", text))
    return messages


def everything() -> list[Labelled]:
    return [message for language in LANGUAGES for part in PARTS for message in load(language, part)]


def asks_to_stop(text: str) -> bool:
    """What stoplist decides for an inbound message: a keyword, or a plain request."""
    return classify(text).kind is EventKind.OPT_OUT or recognise(text) is not None


def score(language: str, part: str) -> Score:
    messages = load(language, part)
    missed = tuple(m.text for m in messages if m.stop and not asks_to_stop(m.text))
    flagged = tuple(m.text for m in messages if not m.stop and asks_to_stop(m.text))
    stops = sum(m.stop for m in messages)
    replies = len(messages) - stops
    return Score(language, part, stops, replies, stops - len(missed), len(flagged), missed, flagged)


def table() -> str:
    lines = [
        "| language | part | messages | recall | precision | replies flagged |",
        "|---|---|---|---|---|---|",
    ]
    for part in PARTS:
        for language in LANGUAGES:
            found = score(language, part)
            lines.append(
                f"| {language} | {part} | {found.stops + found.replies} "
                f"| {found.recall:.1%} ({found.stops_found}/{found.stops}) "
                f"| {found.precision:.1%} "
                f"| {found.flagged_rate:.1%} ({found.replies_flagged}/{found.replies}) |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    for language in LANGUAGES:
        for part in PARTS:
            found = score(language, part)
            for text in found.missed:
                print(f"missed   {language} {part}: {text}")
            for text in found.flagged:
                print(f"flagged  {language} {part}: {text}")
