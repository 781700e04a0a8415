"""Choosing the answer's format and language from what the client asked for."""

from __future__ import annotations

from typing import Literal

from stoplist.i18n import Language

Format = Literal["json", "xml"]


def response_format(value: object) -> Format:
    """``_format``: ``xml`` when asked for, JSON for anything else."""
    return "xml" if isinstance(value, str) and value.strip().lower() == "xml" else "json"


def language(accept_language: str | None) -> Language:
    """English when ``Accept-Language`` prefers it to French, French otherwise."""
    if not accept_language:
        return "fr"
    best: tuple[float, Language] = (0.0, "fr")
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("fr", "en"):
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        # Earlier tags win ties, as the header lists preferences in order.
        weight = quality - position * 1e-6
        if weight > best[0]:
            best = (weight, "en" if primary == "en" else "fr")
    return best[1]
