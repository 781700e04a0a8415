"""The hot answers' encoders, side by side: hand-built JSON against the msgspec models.

Run from the repository root with ``.venv/bin/python -m bench.answers``.
Each row times one way of writing the same bytes (checked equal first) and
the other, alternating them, each the median of ``--repeat`` runs; the
ratio is hand-built time over model time, so above 1 means the models are
faster. It measures the encoding alone, in-process: no server, no database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import msgspec  # noqa: E402
import orjson  # noqa: E402

from stoplist.client import answers  # noqa: E402

_ENCODER = msgspec.json.Encoder()
_ROWS = 10_000
_NOW = "2026-12-01 11:00:00"


def _check_dict() -> bytes:
    return orjson.dumps(
        {
            "success": True,
            "code": 200,
            "phoneNumber": "+33612345678",
            "stopped": True,
            "stopId": 12345,
            "createdAt": _NOW,
        }
    )


def _check_model() -> bytes:
    return _ENCODER.encode(
        answers.Check(
            success=True,
            code=200,
            phone_number="+33612345678",
            stopped=True,
            stop_id=12345,
            created_at=_NOW,
        )
    )


def _add_dict() -> bytes:
    return orjson.dumps({"success": True, "code": 200, "stopId": 12345})


def _add_model() -> bytes:
    return _ENCODER.encode(answers.Added(success=True, code=200, stop_id=12345))


_NUMBERS = [f"+336{index:08d}" for index in range(_ROWS)]
_STOP_IDS = [index if index % 10 == 0 else None for index in range(_ROWS)]


def _filter_strings() -> bytes:
    parts: list[str] = []
    for number, stop_id in zip(_NUMBERS, _STOP_IDS, strict=True):
        if stop_id is None:
            parts.append(f'{{"phoneNumber":"{number}","status":"allowed"}}')
        else:
            parts.append(f'{{"phoneNumber":"{number}","status":"stopped","stopId":{stop_id}}}')
    return ",".join(parts).encode()


def _filter_models() -> bytes:
    item = answers.FilterItem
    items = [
        item(phone_number=number, status="allowed")
        if stop_id is None
        else item(phone_number=number, status="stopped", stop_id=stop_id)
        for number, stop_id in zip(_NUMBERS, _STOP_IDS, strict=True)
    ]
    return _ENCODER.encode(items)[1:-1]


_LIST_ROWS = [(index, number, index) for index, number in enumerate(_NUMBERS)]


def _local_time(_instant: int) -> str:
    return _NOW


def _list_strings() -> bytes:
    return ",".join(
        [
            f'{{"id":{row[0]},"phoneNumber":"{row[1]}","createdAt":"{_local_time(row[2])}"}}'
            for row in _LIST_ROWS
        ]
    ).encode()


def _list_models() -> bytes:
    stop = answers.Stop
    return _ENCODER.encode(
        [stop(id=row[0], phone_number=row[1], created_at=_local_time(row[2])) for row in _LIST_ROWS]
    )[1:-1]


def _timed(work: Callable[[], bytes], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        work()
    return (time.perf_counter() - start) / loops


def _side_by_side(
    name: str, hand: Callable[[], bytes], model: Callable[[], bytes], loops: int, repeat: int
) -> str:
    if hand() != model():
        raise SystemExit(f"{name}: the two encoders disagree")
    hands: list[float] = []
    models: list[float] = []
    for _ in range(repeat):
        hands.append(_timed(hand, loops))
        models.append(_timed(model, loops))
    hand_time, model_time = statistics.median(hands), statistics.median(models)
    spread = (max(hands) - min(hands)) / hand_time
    return (
        f"| {name} | {hand_time * 1e6:.2f} µs | {model_time * 1e6:.2f} µs "
        f"| {hand_time / model_time:.2f} | {spread:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print("| answer | hand-built | msgspec model | ratio | hand-built spread |")
    print("| --- | --- | --- | --- | --- |")
    print(_side_by_side("check (one answer)", _check_dict, _check_model, 20_000, args.repeat))
    print(_side_by_side("add (one answer)", _add_dict, _add_model, 20_000, args.repeat))
    print(
        _side_by_side(f"filter items ({_ROWS:,})", _filter_strings, _filter_models, 20, args.repeat)
    )
    print(_side_by_side(f"list rows ({_ROWS:,})", _list_strings, _list_models, 20, args.repeat))


if __name__ == "__main__":
    main()
