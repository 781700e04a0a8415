"""Reading the seed's ``<result><entry>`` XML into the answer models.

The XML drops keys and keeps order, so entries are matched to a model's
fields in their order (``stoplist.client.answers``: the same models the
server writes from). A field the answer carries only sometimes is told
apart by how many entries there are; where that still leaves a choice, the
first arrangement the model accepts wins. Errors say by their code which
optional fields follow the message (``Error.xml_fields``).

The document comes from the network, so it is parsed with ``defusedxml``: a
DTD, an entity declaration or an external reference is refused, never
expanded or fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from itertools import combinations
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, ParseError

import msgspec
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]
from msgspec import inspect

from stoplist.client.answers import Answer, Error

Tree = str | list["Tree"]
AnswerT = TypeVar("AnswerT", bound=Answer)


class XmlShapeError(ValueError):
    """The XML is not the ``<result><entry>`` shape we expected, or was refused."""


def read(body: bytes, answer: type[AnswerT]) -> AnswerT | Error:
    """``answer`` read from an XML document, or the ``Error`` it is."""
    tree = parse(body)
    if len(tree) < 2:
        raise XmlShapeError("an answer has at least success and code")
    if _bool(tree[0]):
        return _struct(tree, _info(answer))  # type: ignore[no-any-return]
    code = _int(tree[1])
    names = ("success", "code", "message", *Error.xml_fields.get(code, ()))
    fields = {field.name: (field.encode_name, _reader(field.type)) for field in _info(Error).fields}
    return _convert([fields[name] for name in names], tree, Error)  # type: ignore[no-any-return]


def parse(body: bytes) -> list[Tree]:
    """The root's entries as nested lists of stripped strings."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlShapeError(f"refused XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise XmlShapeError(f"unreadable XML: {exc}") from None
    if root.tag != "result":
        raise XmlShapeError(f"unexpected XML root <{root.tag}>")
    value = _tree(root)
    return value if isinstance(value, list) else []


def _tree(element: Element) -> Tree:
    children = list(element)
    if children:
        return [_tree(child) for child in children]
    return (element.text or "").strip()


@cache
def _info(model: type[msgspec.Struct]) -> inspect.StructType:
    info = inspect.type_info(model)
    assert isinstance(info, inspect.StructType)
    return info


Reader = Callable[[Tree], Any]


def _struct(values: list[Tree], info: inspect.StructType) -> Any:
    count = len(values)
    arrangements = _arrangements(info.cls, count)
    first = _last_fit.get((info.cls, count), 0)
    for index in (first, *(i for i in range(len(arrangements)) if i != first)):
        try:
            found = _convert(arrangements[index], values, info.cls)
        except (msgspec.ValidationError, XmlShapeError):
            continue
        consistent = getattr(found, "consistent", None)
        if consistent is None or consistent():
            _last_fit[(info.cls, count)] = index  # long answers repeat one kind of item
            return found
    raise XmlShapeError(f"the entries do not fit {info.cls.__name__}")


_last_fit: dict[tuple[type, int], int] = {}


@cache
def _arrangements(model: type[msgspec.Struct], count: int) -> list[list[tuple[str, Reader]]]:
    """The fields ``count`` entries may stand for: first leaving out those sent only sometimes.

    Past those, trailing fields are left out: another server may stop short.
    Each field comes with its wire name and how its entry is read.
    """
    fields = list(_info(model).fields)
    sometimes = [
        index
        for index, field in enumerate(fields)
        if not field.required
        and field.default is msgspec.NODEFAULT
        and field.default_factory is msgspec.NODEFAULT
    ]
    extra = max(len(fields) - count, 0)
    return [
        [
            (field.encode_name, _reader(field.type))
            for index, field in enumerate(fields)
            if index not in left_out
        ][:count]
        for left_out in combinations(sometimes, min(extra, len(sometimes)))
    ]


def _convert(fields: list[tuple[str, Reader]], values: list[Tree], model: type[Any]) -> Any:
    document = {name: read(value) for (name, read), value in zip(fields, values, strict=False)}
    return msgspec.convert(document, model, strict=False)


def _reader(kind: inspect.Type) -> Reader:
    """How an entry becomes the builtins (or nested model) ``msgspec.convert`` reads as ``kind``."""
    while isinstance(kind, inspect.Metadata):  # a description for the OpenAPI document
        kind = kind.type
    if isinstance(kind, inspect.UnionType):
        inner = _reader(next(k for k in kind.types if not isinstance(k, inspect.NoneType)))
        if any(isinstance(each, inspect.NoneType) for each in kind.types):
            return lambda value: None if value == "" else inner(value)
        return inner
    if isinstance(kind, inspect.StructType):
        nested = kind
        return lambda value: _struct(value if isinstance(value, list) else [], nested)
    if isinstance(kind, inspect.ListType):
        item = _reader(kind.item_type)
        # An empty list is an empty <entry></entry>.
        return lambda value: [item(each) for each in value] if isinstance(value, list) else []
    if isinstance(kind, inspect.BoolType | inspect.LiteralType):
        return _boolean  # what ``strict=False`` does not do for a literal
    return _same


def _same(value: Tree) -> Tree:
    return value


def _boolean(value: Tree) -> Any:
    return value == "true" if value in ("true", "false") else value


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
