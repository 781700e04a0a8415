"""What a confirmation send reads of SMS Partner's answer, against a real HTTP endpoint.

``STOPLIST_SMSPARTNER_URL`` is the operator's choice, but the server there
(or a proxy before it) can still answer at length or by the byte; a send
that outlived its claim would go out twice, to a person's phone.
"""

from __future__ import annotations

import httpx
import pytest

from stoplist.domain.confirmations import ClaimedSend
from stoplist.outbound.confirmations import MAX_ANSWER, send
from stoplist.storage.confirmations import ConfirmationRow
from tests.outbound.test_webhook_transport import run
from tests.webhook_receiver import Answer, Receiver, wait_for


def _claimed() -> ClaimedSend:
    row = ConfirmationRow(
        id=1, account_id=1, phone_number="+33612345678", kind="opt_out", language="fr",
        text="Vous ne recevrez plus de SMS.", event_id=1, channel="smspartner",
        status="pending", sender=None, attempts=0, next_attempt_at=0, locked_until=None,
        last_status_code=None, last_error=None, created_at=0, delivered_at=None,
    )  # fmt: skip
    return ClaimedSend(row, "smspartner-key")


async def _send(url: str, deadline: float = 10.0):
    async with httpx.AsyncClient(timeout=deadline, trust_env=False) as client:
        return await send(client, url, _claimed(), deadline)


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_long_answer_is_cut_off_and_is_not_an_sms_partner_answer(encoding):
    answer = Answer(50 * 1024 * 1024, headers=(("content-encoding", encoding),))
    with Receiver(status=200, answer=answer) as receiver:
        result = run(_send(receiver.url()))
        wait_for(lambda: receiver.whole + receiver.cut_off == 1, "the answer to end", 30)
    assert result.status_code == 200
    assert result.error == f"not an SMS Partner answer (over {MAX_ANSWER} bytes)"
    [request] = receiver.requests()
    assert {k.lower(): v for k, v in request.headers.items()}["accept-encoding"] == "identity"
    assert (receiver.whole, receiver.cut_off) == (0, 1)


def test_a_send_ends_at_its_deadline_however_steadily_the_answer_trickles():
    trickle = Answer(50, chunk=1, pause=0.1)
    with Receiver(status=200, answer=trickle) as receiver:
        result = run(_send(receiver.url(), deadline=0.5))
    assert result.status_code == 200
    assert result.error == "timed out: no complete answer within 0.5 s"
    assert receiver.whole == 0
