"""Reading the seed's ``<result><entry>`` XML back into the JSON shape.

The XML drops keys and keeps order, so each answer is mapped back by the
position its keys have in the documented JSON. Optional keys (``stopId``,
``nextAfter``, ...) are told apart by how many entries there are.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

Tree = str | list["Tree"]


class XmlShapeError(ValueError):
    """The XML is not the ``<result><entry>`` shape we expected."""


def parse(body: bytes) -> list[Tree]:
    """The root's entries as nested lists of stripped strings."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise XmlShapeError(f"unreadable XML: {exc}") from None
    if root.tag != "result":
        raise XmlShapeError(f"unexpected XML root <{root.tag}>")
    value = _value(root)
    return value if isinstance(value, list) else []


def _value(element: ElementTree.Element) -> Tree:
    children = list(element)
    if children:
        return [_value(child) for child in children]
    return (element.text or "").strip()


def to_json(operation: str, tree: list[Tree]) -> dict[str, Any]:
    """The JSON object ``operation`` would have answered with."""
    if len(tree) < 2:
        raise XmlShapeError("an answer has at least success and code")
    success = _bool(tree[0])
    head: dict[str, Any] = {"success": success, "code": _int(tree[1])}
    rest = tree[2:]
    if not success:
        keys = _ERROR_KEYS.get(head["code"], ["message"])
        return {**head, **_keys(rest, keys, ints={"stopId"})}
    shape = _SHAPES.get(operation)
    if shape is None:
        raise XmlShapeError(f"no XML shape known for {operation}")
    return {**head, **shape(rest)}


_ERROR_KEYS = {
    3: ["message", "stopId"],
    9: ["message", "reason", "detail"],
    91: ["message", "detail"],
    92: ["message", "detail", "columns"],
}
"""What follows ``code`` in an error, by code (the rest carry only ``message``)."""


def _list(rest: list[Tree]) -> dict[str, Any]:
    out = _keys(rest, ["nbData", "data", "nextAfter"], ints={"nbData", "nextAfter"})
    out["data"] = [
        _keys(_items(row), ["id", "phoneNumber", "createdAt"], ints={"id"})
        for row in _items(out.get("data"))
    ]
    return out


def _add(rest: list[Tree]) -> dict[str, Any]:
    return _keys(rest, ["stopId"], ints={"stopId"})


def _delete(rest: list[Tree]) -> dict[str, Any]:
    return {}


def _check(rest: list[Tree]) -> dict[str, Any]:
    out = _keys(rest, ["phoneNumber", "stopped", "stopId", "createdAt"], ints={"stopId"})
    out["stopped"] = _bool(out.get("stopped", "false"))
    return out


def _filter(rest: list[Tree]) -> dict[str, Any]:
    out = _keys(rest, ["nbData", "counts", "data"], ints={"nbData"})
    counts = _items(out.get("counts"))
    out["counts"] = _keys(
        counts, ["allowed", "stopped", "invalid"], ints={"allowed", "stopped", "invalid"}
    )
    out["data"] = [_filter_item(_items(item)) for item in _items(out.get("data"))]
    return out


def _filter_item(item: list[Tree]) -> dict[str, Any]:
    status = item[1] if len(item) > 1 and isinstance(item[1], str) else ""
    if status == "invalid":
        return {**_keys(item, ["input", "status", "code"], ints={"code"})}
    return _keys(item, ["phoneNumber", "status", "stopId"], ints={"stopId"})


_EVENT_KEYS = [
    "id",
    "type",
    "source",
    "provider",
    "providerMessageId",
    "text",
    "eventAt",
    "receivedAt",
    "actor",
    "reason",
]


def _history(rest: list[Tree]) -> dict[str, Any]:
    # phoneNumber, stopped, [stopId], nbData, data: stopId only when stopped.
    keys = ["phoneNumber", "stopped", "stopId", "nbData", "data"]
    if len(rest) < len(keys):
        keys.remove("stopId")
    out = _keys(rest, keys, ints={"stopId", "nbData"})
    out["stopped"] = _bool(out.get("stopped", "false"))
    out["data"] = [
        {
            key: (value or None)
            for key, value in _keys(_items(event), _EVENT_KEYS, ints={"id"}).items()
        }
        for event in _items(out.get("data"))
    ]
    return out


_SHAPES = {
    "list": _list,
    "add": _add,
    "delete": _delete,
    "check": _check,
    "filter": _filter,
    "history": _history,
}


def _keys(values: list[Tree], keys: list[str], *, ints: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=False):
        if key in ints:
            out[key] = _int_or_none(value)
        else:
            out[key] = value
    return out


def _items(value: Any) -> list[Tree]:
    """A nested list; an empty ``<entry></entry>`` is an empty list."""
    if isinstance(value, list):
        return value
    return []


def _bool(value: Tree) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise XmlShapeError(f"expected true or false, got {value!r}")


def _int(value: Tree) -> int:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise XmlShapeError(f"expected an integer, got {value!r}")


def _int_or_none(value: Tree) -> int | None:
    return None if value in ("", []) else _int(value)
