"""Card numbers and the deployment's patterns are masked before anything is stored
(live_chat/redaction.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from live_chat.redaction import Redactor, luhn_valid
from live_chat.store.models import Csat, Message, Note
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import agent, waiting_visitor


def test_luhn_valid_card_numbers_keep_only_their_last_four_digits() -> None:
    redact = Redactor()
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert redact("card 4111 1111 1111 1111 exp 12/27") == "card [card •••• 1111] exp 12/27"
    assert redact("4111-1111-1111-1111") == "[card •••• 1111]"
    assert redact("AmEx 378282246310005.") == "AmEx [card •••• 0005]."
    # Not a card: the Luhn check fails, or too few digits (orders, phones).
    assert redact("order 4111111111111112") == "order 4111111111111112"
    assert redact("order #1234567890, call 090-1234-5678") == (
        "order #1234567890, call 090-1234-5678")


def test_deployment_patterns_are_redacted_too() -> None:
    redact = Redactor([r"\bACME-\d{6}\b", r"[\w.]+@[\w.]+"])
    assert redact("member ACME-123456, mail me at a.b@example.com") == (
        "member [redacted], mail me at [redacted]")


async def test_nothing_stored_or_sent_holds_the_card_number(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    ack = await visitor.send("my card is 4111 1111 1111 1111", uuid.uuid4().hex)
    assert ack["message"]["text"] == "my card is [card •••• 1111]"
    seen = await hanako.next_where("message", lambda m: "card" in m["text"])
    assert "4111 1111" not in seen["text"]
    await hanako.call("message", {"conversation_id": conversation_id, "client_id": "a1",
                                  "text": "You typed 4111-1111-1111-1111, please don't."})
    await hanako.call("note", {"conversation_id": conversation_id,
                               "text": "visitor pasted 4111111111111111"})
    await hanako.call("close", {"conversation_id": conversation_id})
    assert (await visitor.call("csat", {"score": 2, "comment": "charged 4111111111111111"}))["ok"]
    async with gateway.ctx.store.begin() as tx:
        texts = [*(await tx.session.scalars(select(Message.text))).all(),
                 *(await tx.session.scalars(select(Note.text))).all(),
                 *(await tx.session.scalars(select(Csat.comment))).all()]
    assert not any("4111" in t for t in texts), texts
    assert sum("[card •••• 1111]" in t for t in texts) == 4
    for client in (hanako, visitor):
        await client.disconnect()
