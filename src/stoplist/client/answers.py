"""Every answer of the API as it travels: one typed model each, described once.

These ``msgspec`` structs are the single statement of each answer's shape.
The server encodes its answers from them (JSON directly, XML from the same
values in the same order), the OpenAPI document's schemas are generated from
them, and the client decodes answers into them before turning them into its
friendlier records (``stoplist.client.models``). They live in the client
because the client is also released alone (``stoplist-client``) and must be
able to read every answer without the server installed.

Wire names are the camelCase of the field names; fields keep the wire's key
order, which the XML answers depend on (they drop keys and keep order). A
field defaulting to ``UNSET`` is one the answer carries only sometimes (a
``stopId`` only when the number is stopped); one defaulting to a value is
always sent by this server but tolerated missing from older or other servers.

Over 400 lines on purpose: every answer of the API is here, so that the
wire's shapes read as one document and the OpenAPI schemas, the encoders
and the client's parsing all come from one place.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import NODEFAULT, Meta, Struct, UnsetType, defstruct, field, structs
from msgspec import UNSET as UNSET  # re-exported: the value of a field not sent

LocalTime = Annotated[
    str,
    Meta(
        description="YYYY-MM-DD HH:MM:SS in the account's time zone",
        examples=["2015-07-20 10:19:45"],
    ),
]
PhoneNumber = Annotated[str, Meta(description="E.164", examples=["+33612345678"])]
OnlyWhenStopped = Meta(description="Only when stopped")
PendingStop = Meta(
    description="true when stopped by a STOP acknowledged but not yet written (it came while "
    "an import held the list); there is no stopId yet"
)
ErasedAt = (
    Annotated[LocalTime, Meta(description="Only when the number was erased at its owner's request")]
    | UnsetType
)
FilterStatus = Literal["allowed", "stopped", "invalid"]
EventType = Annotated[
    str,
    Meta(
        extra_json_schema={
            "enum": ["opt_out", "opt_in", "help", "reply", "dismissed", "erased", "retention"]
        }
    ),
]
EventSource = Annotated[
    str,
    Meta(
        extra_json_schema={
            "enum": ["sms", "api", "import", "sync", "dashboard", "cli", "schedule", "upgrade"]
        }
    ),
]
InvalidReason = Annotated[
    str,
    Meta(
        extra_json_schema={
            "enum": [
                "not_a_number",
                "too_short",
                "too_long",
                "invalid_length",
                "unknown_prefix",
                "unknown_country_code",
                "line_too_long",
                "several_numbers",
            ]
        }
    ),
]
"""Why a number is invalid (a stable name; ``detail`` words it). Other servers may add more."""
DeliveryStatus = Literal["pending", "delivered", "failed", "cancelled"]
ReviewStatus = Literal["pending", "confirmed", "dismissed"]
ReviewLanguage = Annotated[
    str, Meta(extra_json_schema={"enum": ["en", "fr", "es", "de", "it", "pt", "nl"]})
]


class Answer(Struct, kw_only=True, rename="camel"):
    """A successful answer: ``success`` true and ``code`` 200, then its own fields."""

    success: bool
    code: int


def ok() -> dict[str, Any]:
    """The two fields every successful answer starts with, as keyword arguments."""
    return {"success": True, "code": 200}


class Error(Struct, kw_only=True, rename="camel"):
    """An error: its code and message, and for some codes what they concern."""

    success: Literal[False]
    code: int
    message: str
    reason: Annotated[InvalidReason, Meta(description="With code 9: why the number is invalid")] | (
        UnsetType
    ) = UNSET
    detail: Annotated[str, Meta(description="With codes 9, 91 and 92")] | UnsetType = UNSET
    columns: Annotated[list[str], Meta(description="With code 92: the file's columns")] | (
        UnsetType
    ) = UNSET
    stop_id: Annotated[int, Meta(description="With code 3: the existing entry")] | (
        UnsetType
    ) = UNSET
    status: Annotated[str, Meta(description="With code 96: what was decided")] | (UnsetType) = UNSET

    xml_fields: ClassVar[dict[int, tuple[str, ...]]] = {
        3: ("stop_id",),
        9: ("reason", "detail"),
        91: ("detail",),
        92: ("detail", "columns"),
        96: ("status",),
    }
    """The optional fields an XML error carries after ``message``, by code (no keys there)."""


class Stop(Struct, kw_only=True, rename="camel"):
    """One entry of the stop list."""

    id: int
    phone_number: PhoneNumber
    created_at: LocalTime


class StopList(Answer, kw_only=True):
    """The list, or one page of it (then it ends with ``nextAfter``)."""

    nb_data: int = 0
    data: list[Stop] = field(default_factory=list)
    next_after: (
        Annotated[
            int | None, Meta(description="With limit or after: the next page's after (null: none)")
        ]
        | UnsetType
    ) = UNSET


class Added(Answer, kw_only=True):
    """A number added to the list."""

    stop_id: int


class Done(Answer, kw_only=True):
    """Done; nothing more to say."""


class Check(Answer, kw_only=True):
    """Whether one number is stopped."""

    phone_number: PhoneNumber
    stopped: bool
    stop_id: Annotated[int, OnlyWhenStopped] | UnsetType = UNSET
    created_at: Annotated[LocalTime, OnlyWhenStopped] | UnsetType = UNSET
    pending: Annotated[bool, PendingStop] | UnsetType = UNSET


class FilterCounts(Struct, kw_only=True, rename="camel"):
    allowed: int = 0
    stopped: int = 0
    invalid: int = 0


class FilterItem(Struct, kw_only=True, rename="camel"):
    """The verdict on one input: its E.164 form, or the input itself when invalid."""

    phone_number: PhoneNumber | UnsetType = UNSET
    input: Annotated[Any, Meta(description="The input as sent, when invalid")] | UnsetType = UNSET
    status: FilterStatus
    stop_id: Annotated[int, Meta(description="When stopped")] | UnsetType = UNSET
    pending: Annotated[bool, PendingStop] | UnsetType = UNSET
    code: Annotated[int, Meta(description="9 when invalid")] | UnsetType = UNSET
    reason: Annotated[InvalidReason, Meta(description="When invalid: why")] | UnsetType = UNSET
    detail: (
        Annotated[str, Meta(description="When invalid: why, in the answer's language")] | UnsetType
    ) = UNSET

    def consistent(self) -> bool:
        """Whether the fields present fit the status (what tells positional XML items apart).

        Not a ``__post_init__``: that would double the cost of decoding a
        million-item JSON answer, which never needs telling apart.
        """
        invalid = self.status == "invalid"
        return (
            invalid == (self.input is not UNSET) == (self.code is not UNSET)
            and invalid != (self.phone_number is not UNSET)
            # A stopped number has its stop id, unless its STOP is held (pending, no entry yet).
            and (self.stop_id is UNSET or self.status == "stopped")
            and (self.pending is UNSET or self.status == "stopped")
            and (invalid or self.reason is self.detail is UNSET)
        )


class Filter(Answer, kw_only=True):
    """One verdict per input, in input order."""

    nb_data: int = 0
    counts: FilterCounts = field(default_factory=FilterCounts)
    data: list[FilterItem] = field(default_factory=list)


class Event(Struct, kw_only=True, rename="camel"):
    """One thing that happened to a number."""

    id: int
    type: EventType
    source: EventSource
    provider: str | None = None
    provider_message_id: str | None = None
    text: str | None = None
    event_at: LocalTime | None = None
    received_at: LocalTime | None = None
    actor: str | None = None
    reason: str | None = None
    provider_time: Annotated[
        str | None,
        Meta(
            description="The provider's send time as it came, when it was not believed "
            "(unreadable, over 48 h old or over 5 min ahead); the event is then dated by "
            "its arrival."
        ),
    ] = None


class History(Answer, kw_only=True):
    """A number's events, newest first."""

    phone_number: PhoneNumber
    stopped: bool
    stop_id: Annotated[int, OnlyWhenStopped] | UnsetType = UNSET
    nb_data: int = 0
    data: list[Event] = field(default_factory=list)
    erased_at: ErasedAt = UNSET


class ChainProof(Struct, kw_only=True, rename="camel"):
    """An event's place in its account's hash chain, and whether it holds."""

    position: Annotated[int | None, Meta(description="From 1; null: outside the chain")]
    prev_hash: Annotated[str | None, Meta(description="Hex SHA-256 of the event before")]
    hash: Annotated[str | None, Meta(description="Hex HMAC-SHA256 of this event's content")]
    text_digest: Annotated[str | None, Meta(description="Hex SHA-256 of the text")] = None
    number_digest: Annotated[str | None, Meta(description="Hex keyed hash of the number")] = None
    content_verified: Annotated[
        bool, Meta(description="The event's content (text and number included) gives its hash")
    ] = False
    chain_verified: Annotated[
        bool, Meta(description="The chain holds from the account's first event to this one")
    ] = False


class EvidenceEvent(Event, kw_only=True):
    """An event of a number, with its signature check and its chain proof."""

    signature_verified: Annotated[
        bool | None,
        Meta(
            description="For a provider's message: whether its request was signed and the "
            "signature checked (null: not a provider's, or recorded before this was kept)"
        ),
    ] = None
    proof: ChainProof | None = None


class Evidence(Answer, kw_only=True):
    """Everything recorded about one number, oldest first, with the chain proof."""

    phone_number: PhoneNumber
    stopped: bool
    stop_id: Annotated[int, OnlyWhenStopped] | UnsetType = UNSET
    time_zone: Annotated[str, Meta(description="The zone of every local time here")] = ""
    chain_length: Annotated[int, Meta(description="Events in the account's chain")] = 0
    chain_head: Annotated[str, Meta(description="Hex hash of the account's last event")] = ""
    verified: Annotated[bool, Meta(description="Every event here verifies")] = False
    nb_data: int = 0
    data: list[EvidenceEvent] = field(default_factory=list)
    erased_at: ErasedAt = UNSET


class Erased(Answer, kw_only=True):
    """A number erased: only its keyed hash remains, and it stays stopped."""

    phone_number: PhoneNumber
    stop_id: Annotated[int, Meta(description="The entry the number keeps")]
    erased_at: LocalTime
    event_id: Annotated[int, Meta(description="The erasure's event")]
    already: Annotated[bool, Meta(description="Erased before: nothing changed")] = False


class InvalidLine(Struct, kw_only=True, rename="camel"):
    line: int
    input: str
    code: int
    reason: Annotated[InvalidReason, Meta(description="Why, when known")] | UnsetType = UNSET


class Import(Answer, kw_only=True):
    """What an import did."""

    added: int
    already_stopped: int
    invalid: int
    invalid_lines: Annotated[list[InvalidLine], Meta(description="The first 10,000 invalid lines")]
    opted_in: Annotated[
        int, Meta(description="Numbers left off because they were opted back in or removed")
    ]
    lines: Annotated[int, Meta(description="Lines read, header and blanks included")]
    column: Annotated[
        str | None,
        Meta(description="The column read: its header or position (null: nothing was read)"),
    ]
    column_number: Annotated[int | None, Meta(description="Its position, from 1")]
    header: Annotated[bool, Meta(description="Whether the first line was a header")]


class Endpoint(Struct, kw_only=True, rename="camel"):
    id: int
    url: str
    created_at: LocalTime


class Endpoints(Answer, kw_only=True):
    """An account's webhook endpoints."""

    nb_data: int
    data: list[Endpoint]


class EndpointAdded(Answer, kw_only=True):
    """A new webhook endpoint; its signing secret is shown this once."""

    id: int
    secret: str


class Delivery(Struct, kw_only=True, rename="camel"):
    id: int
    endpoint_id: int
    event_id: int
    webhook_id: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: LocalTime | None
    next_attempt_at: Annotated[LocalTime | None, Meta(description="While pending")]
    delivered_at: LocalTime | None


class Deliveries(Answer, kw_only=True):
    """Recent webhook deliveries, newest first."""

    nb_data: int
    data: list[Delivery]


class ReviewItem(Struct, kw_only=True, rename="camel"):
    """A possible opt-out waiting for a person, or what they decided about it."""

    id: int
    phone_number: PhoneNumber
    text: str
    language: ReviewLanguage
    phrase: Annotated[str, Meta(description="The words that read as a request")]
    status: ReviewStatus
    message_at: Annotated[LocalTime, Meta(description="When the person sent it")]
    queued_at: LocalTime
    overdue: Annotated[bool, Meta(description="Pending for more than 7 days")]
    event_id: Annotated[int, Meta(description="The reply event of the message")]
    decided_at: LocalTime | None = None
    decided_by: str | None = None
    reason: str | None = None
    decision_event_id: int | None = None


class ReviewQueue(Answer, kw_only=True):
    """One page of the review queue, oldest first, with the whole queue's counts."""

    pending: Annotated[int, Meta(description="Items waiting, in the whole queue")]
    overdue: Annotated[int, Meta(description="Of those, pending for more than 7 days")]
    nb_data: int = 0
    data: list[ReviewItem] = field(default_factory=list)


ReplyText = Annotated[
    str | None,
    Meta(
        description="The confirmation for the caller to send to the number, in the person's "
        "language (null: none is due, or stoplist sends it itself through SMS Partner)"
    ),
]
ReplyQueued = Annotated[
    bool, Meta(description="stoplist sends the confirmation itself, through SMS Partner")
]


class Reply(Struct, kw_only=True, rename="camel"):
    """The confirmation an answer carries for the person who asked: what to send, or that
    stoplist sends it. Inbound answers and a confirmed possible opt-out both end with it."""

    reply: ReplyText = None
    reply_queued: ReplyQueued = False


class InboundFacts(Struct, kw_only=True, rename="camel"):
    """What became of a forwarded message (the fields of ``Inbound`` before its reply)."""

    status: Annotated[
        Literal["recorded", "duplicate", "pending", "spooled"],
        Meta(
            description="pending: one part of a long message, waiting for the others; "
            "spooled: kept on disk while the list was locked, recorded as soon as it is free"
        ),
    ]
    type: (
        Annotated[
            Literal["opt_out", "opt_in", "help", "reply", "review"] | None,
            Meta(description="Not when pending; review: queued for a person to decide"),
        ]
        | UnsetType
    ) = UNSET
    event_id: Annotated[int, Meta(description="Not when pending")] | UnsetType = UNSET
    stopped: Annotated[bool, Meta(description="Not when pending")] | UnsetType = UNSET


def _answer_with_fields_of(
    name: str, item: type[Struct], doc: str, *more: type[Struct]
) -> type[Answer]:
    """An answer carrying ``item``'s fields flat after ``success`` and ``code``.

    Structs cannot inherit from two structs that both have fields, so the
    answer is made from the item's fields rather than written out twice;
    the fields of ``more`` follow them.
    """
    fields = [
        (info.name, info.type)
        if info.required
        else (
            info.name,
            info.type,
            info.default
            if info.default_factory is NODEFAULT
            else field(default_factory=info.default_factory),
        )
        for model in (item, *more)
        for info in structs.fields(model)
    ]
    made = defstruct(name, fields, bases=(Answer,), kw_only=True, rename="camel", module=__name__)
    made.__doc__ = doc
    assert issubclass(made, Answer)
    return made


ReviewDecision = _answer_with_fields_of(
    "ReviewDecision",
    ReviewItem,
    "The item just confirmed or dismissed: ``success`` and ``code``, then its fields, then "
    "the opt-out confirmation a confirmed item is due (``reply``, as inbound answers carry it).",
    Reply,
)
Inbound = _answer_with_fields_of(
    "Inbound",
    InboundFacts,
    "What a JSON-speaking provider (or the caller) gets back for a forwarded message.",
    Reply,
)


ANSWERS: tuple[type[Struct], ...] = (
    Error,
    StopList,
    Added,
    Done,
    Check,
    Filter,
    History,
    Evidence,
    Import,
    Endpoints,
    EndpointAdded,
    Deliveries,
    ReviewQueue,
    ReviewDecision,
    Inbound,
)
"""Every answer model, for whoever describes them all (the OpenAPI document)."""
