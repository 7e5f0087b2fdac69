"""A visitor's language is theirs, not the site's widget setting (issue 13, defect 6).

A real gateway and python-socketio clients: the widget on a Japanese site
used to connect with ``locale: "ja"`` whatever the visitor wrote, and the
agent saw ``ja`` for an English visitor. The conversation's (and the
visitor's) ``locale`` now follows what the visitor clearly writes, and both
the visitor (``status``) and the agent holding the chat (``conversation``)
are told when it changes.
"""

from __future__ import annotations

from typing import Any

from live_chat.store.models import Conversation, Visitor
from tests.clients import AgentClient, VisitorClient, cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import agent


async def stored_locales(gateway: Gateway, conversation_id: str) -> tuple[str | None, str | None]:
    """(the conversation's locale, its visitor's locale) as the record has them."""
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.session.get(Conversation, conversation_id)
        assert conversation is not None
        visitor = await tx.session.get(Visitor, conversation.visitor_id)
        assert visitor is not None
        return conversation.locale, visitor.locale


async def english_visitor_with_agent(gateway: Gateway) -> tuple[VisitorClient, AgentClient,
                                                                   dict[str, Any]]:
    """A visitor whose widget says ``ja`` (the site's setting) but who writes English,
    handed to an agent; returns (visitor, agent, the ``assigned`` payload)."""
    hanako = await agent(gateway, "Hanako")
    visitor = await gateway.visitor(locale="ja").connect()
    ack = await visitor.send("Hello, my order has not arrived yet", cid())
    assert ack["ok"], ack
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    assigned = await hanako.next("assigned")
    return visitor, hanako, assigned


async def test_an_english_visitor_on_a_japanese_site_is_english_for_the_agent(
    any_db_gateway: Gateway,
) -> None:
    visitor, hanako, assigned = await english_visitor_with_agent(any_db_gateway)
    try:
        conversation = assigned["conversation"]
        assert conversation["locale"] == "en"
        assert assigned["visitor"]["locale"] == "en"
        assert await stored_locales(any_db_gateway, conversation["id"]) == ("en", "en")
        # The visitor's own snapshots say it too (the widget relabels from them).
        synced = await visitor.call("sync", {"since_seq": 0})
        assert synced["conversation"]["locale"] == "en"
    finally:
        await visitor.disconnect()
        await hanako.disconnect()


async def test_writing_japanese_flips_the_language_and_both_sides_are_told(
    any_db_gateway: Gateway,
) -> None:
    visitor, hanako, assigned = await english_visitor_with_agent(any_db_gateway)
    conversation_id = assigned["conversation"]["id"]
    try:
        visitor.pending("status")
        hanako.pending("conversation")
        ack = await visitor.send("すみません、やはり日本語でお願いします", cid())
        assert ack["ok"], ack
        status = await visitor.next_where("status", lambda s: s.get("locale") == "ja")
        assert status["id"] == conversation_id and status["state"] == "assigned"
        told = await hanako.next_where("conversation", lambda c: c.get("locale") == "ja")
        assert told["id"] == conversation_id and told["agent"]["name"] == "Hanako"
        assert await stored_locales(any_db_gateway, conversation_id) == ("ja", "ja")

        # A short or unclear text changes nothing, and says nothing.
        assert (await visitor.send("ok", cid()))["ok"]
        assert (await visitor.send("12345", cid()))["ok"]
        await hanako.next_where("message", lambda m: m["text"] == "12345")
        assert all(s.get("locale") in (None, "ja") for s in visitor.pending("status"))
        assert await stored_locales(any_db_gateway, conversation_id) == ("ja", "ja")
    finally:
        await visitor.disconnect()
        await hanako.disconnect()


async def test_a_clicked_quick_reply_is_not_the_visitors_language(gateway: Gateway) -> None:
    async with gateway.visitor(locale="en") as visitor:
        first = await visitor.send("注文について教えてください", cid())
        await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert (await stored_locales(gateway, first["message"]["conversation_id"]))[0] == "ja"
        # The button's title is in the bot's words, whatever language it is in.
        ack = await visitor.send("Talk to a person please", cid(), payload="/request_human")
        assert ack["ok"], ack
        conversation_id = ack["message"]["conversation_id"]
        assert (await stored_locales(gateway, conversation_id))[0] == "ja"


async def test_every_path_that_opens_a_conversation_uses_the_visitors_language(
    gateway: Gateway,
) -> None:
    # The widget says ja; the visitor writes English, then ends that chat.
    async with gateway.visitor(locale="ja") as visitor:
        first = await visitor.send("Hello, I would like to ask about shipping", cid())
        await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert (await stored_locales(gateway, first["message"]["conversation_id"])) == ("en", "en")
        assert (await visitor.call("close", {}))["ok"]

        # Asking for a person opens the next one in the visitor's language, not the widget's.
        asked = await visitor.call("request_human", {})
        assert asked["ok"], asked
        assert asked["conversation"]["locale"] == "en"
        assert (await visitor.call("close", {}))["ok"]

        # So does a leave-a-message form whose text tells nothing...
        left = await visitor.call("leave_message", {"client_id": cid(), "text": "#12345",
                                                    "email": "a@example.com"})
        assert left["ok"], left
        assert left["conversation"]["locale"] == "en"

        # ...and one written in Japanese is Japanese, for the visitor too.
        left = await visitor.call("leave_message", {
            "client_id": cid(), "text": "返品の方法を教えてください", "email": "a@example.com"})
        assert left["ok"], left
        assert left["conversation"]["locale"] == "ja"
        assert await stored_locales(gateway, left["conversation"]["id"]) == ("ja", "ja")
