"""What reading messages for reasonable means costs an inbound message.

Run from the repository root with ``.venv/bin/python -m bench.reasonable_means``.
Two comparisons, each alternating its two sides, the median of ``--repeat``
rounds over the whole labelled corpus (742 messages):

- the classifier alone: the keyword engine versus the keyword engine followed
  by the reasonable-means classifier (what an inbound reply now costs to read);
- a whole inbound message through ``Inbound.receive`` on a SQLite file, with
  the account's mode ``off`` versus ``review`` (recording and queueing included).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT / "src", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from tests.reasonable_corpus import everything  # noqa: E402

from stoplist.domain import reasonable_means  # noqa: E402
from stoplist.domain.accounts import Accounts  # noqa: E402
from stoplist.domain.inbound import Inbound, InboundMessage  # noqa: E402
from stoplist.domain.keywords import classify  # noqa: E402
from stoplist.domain.reasonable_means import recognise  # noqa: E402
from stoplist.storage import secrets  # noqa: E402
from stoplist.storage.database import Database  # noqa: E402


def _keywords_only(texts: list[str]) -> None:
    for text in texts:
        classify(text)


def _keywords_then_classifier(texts: list[str]) -> None:
    reasonable_means._correction.cache_clear()  # every round reads the corpus cold
    for text in texts:
        if classify(text).kind.value == "reply":
            recognise(text)


def _median_pair(
    first: Callable[[], None], second: Callable[[], None], repeat: int
) -> tuple[float, float]:
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, run in enumerate((first, second)):
            started = time.perf_counter()
            run()
            times[side].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = max(5, parser.parse_args().repeat)
    texts = [message.text for message in everything()]
    recognise("warm the caches up")

    plain, read = _median_pair(
        lambda: _keywords_only(texts), lambda: _keywords_then_classifier(texts), repeat
    )
    per = 1e6 / len(texts)
    print(f"messages: {len(texts)}, repeat: {repeat}")
    print(
        f"reading   keywords only {plain * per:8.1f} µs/msg | keywords + classifier "
        f"{read * per:8.1f} µs/msg | ratio {read / plain:5.2f}"
    )

    with tempfile.TemporaryDirectory() as directory:
        secrets.use_key_file(Path(directory) / "secrets.key")
        db = Database(f"sqlite:///{directory}/bench.db")
        db.migrate()
        off = Accounts(db).update_settings(
            Accounts(db).create("off").account, reasonable_means="off"
        )
        queued = Accounts(db).create("review").account
        rounds = {"off": 0, "review": 0}

        def receive(account_name: str) -> Callable[[], None]:
            account = off if account_name == "off" else queued

            def run() -> None:
                rounds[account_name] += 1
                inbound = Inbound(db, account)
                for index, text in enumerate(texts):
                    number = f"+336{rounds[account_name]:02d}{index:06d}"
                    inbound.receive(InboundMessage("generic", number, text))

            return run

        without, with_ = _median_pair(receive("off"), receive("review"), repeat)
        db.dispose()
    print(
        f"inbound   mode off      {without * per:8.1f} µs/msg | mode review           "
        f"{with_ * per:8.1f} µs/msg | ratio {with_ / without:5.2f}"
    )


if __name__ == "__main__":
    main()
