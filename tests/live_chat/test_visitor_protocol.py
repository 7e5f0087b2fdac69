"""The /visitor protocol of PROTOCOL.md against a real gateway on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import pytest
import socketio
from sqlalchemy import func, select

from live_chat.store.models import Conversation, ConversationEvent, Csat, Message
from tests.clients import VisitorClient, cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import agent


async def stored_messages(gateway: Gateway, conversation_id: str) -> list[Message]:
    async with gateway.ctx.store.begin() as tx:
        return list(await tx.messages_since(conversation_id, 0))


async def count(gateway: Gateway, query: object) -> int:
    async with gateway.ctx.store.begin() as tx:
        return int(await tx.session.scalar(query) or 0)


async def test_session_then_bot_reply(any_db_gateway: Gateway) -> None:
    async with any_db_gateway.visitor(locale="en") as visitor:
        assert visitor.session["visitor_token"]
        assert visitor.session["conversation"] is None
        ack = await visitor.send("hello, I cannot log in", cid())
        assert ack["ok"] is True
        message = ack["message"]
        assert message["seq"] == 1 and message["sender"] == "visitor"
        assert set(message) == {"id", "conversation_id", "seq", "sender", "author", "text",
                                "quick_replies", "client_id", "attachments", "image", "custom",
                                "ts"}
        reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert reply["seq"] == 2
        assert reply["conversation_id"] == message["conversation_id"]
        assert reply["text"]
        stored = await stored_messages(any_db_gateway, message["conversation_id"])
        assert [m.seq for m in stored] == [1, 2]
        # The bot's classification is kept on the visitor's message.
        assert stored[0].intent is not None and stored[0].confidence is not None


async def test_ack_comes_after_the_message_is_stored(any_db_gateway: Gateway) -> None:
    async with any_db_gateway.visitor() as visitor:
        ack = await visitor.send("where is my order?", cid())
        # Read through a separate connection: the row must already be committed.
        assert await count(
            any_db_gateway,
            select(func.count()).select_from(Message).where(Message.id == ack["message"]["id"]),
        ) == 1


async def test_retry_with_same_client_id_is_stored_once(any_db_gateway: Gateway) -> None:
    async with any_db_gateway.visitor() as visitor:
        client_id = cid()
        first = await visitor.send("I want a refund", client_id)
        # A retry, and a burst of concurrent retries, all answer with the first message.
        again = await visitor.send("I want a refund", client_id)
        burst = await asyncio.gather(*(visitor.send("I want a refund", client_id)
                                       for _ in range(5)))
        assert again["message"] == first["message"]
        assert all(b["message"]["id"] == first["message"]["id"] for b in burst)
        assert await count(
            any_db_gateway,
            select(func.count()).select_from(Message).where(Message.client_id == client_id),
        ) == 1


async def test_concurrent_first_messages_share_one_conversation_with_gap_free_seq(
    any_db_gateway: Gateway,
) -> None:
    first = await any_db_gateway.visitor().connect()
    token = first.session["visitor_token"]
    second = await any_db_gateway.visitor(token=token).connect()
    try:
        acks = await asyncio.gather(
            *(tab.send(f"question {i}", cid()) for i in range(4) for tab in (first, second))
        )
        assert all(a["ok"] for a in acks)
        conversations = {a["message"]["conversation_id"] for a in acks}
        assert len(conversations) == 1
        await any_db_gateway.ctx.conversations.drain()
        stored = await stored_messages(any_db_gateway, conversations.pop())
        assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
        assert sum(m.sender == "visitor" for m in stored) == 8
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_other_tab_receives_visitor_message(gateway: Gateway) -> None:
    async with gateway.visitor() as tab1:
        async with gateway.visitor(token=tab1.session["visitor_token"]) as tab2:
            ack = await tab1.send("hello from tab one", cid())
            echoed = await tab2.next_where("message", lambda m: m["sender"] == "visitor")
            assert echoed["id"] == ack["message"]["id"]


async def test_sync_after_disconnect_returns_what_was_missed(any_db_gateway: Gateway) -> None:
    visitor = await any_db_gateway.visitor().connect()
    ack = await visitor.send("my parcel has not arrived", cid())
    token = visitor.session["visitor_token"]
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    await visitor.disconnect()

    # While the visitor is away a second reply is stored.
    conversation_id = ack["message"]["conversation_id"]
    async with any_db_gateway.ctx.store.begin() as tx:
        await tx.add_message(conversation_id, sender="system", text="while you were away")

    async with any_db_gateway.visitor(token=token) as back:
        assert back.session["visitor_id"] == visitor.session["visitor_id"]
        assert back.session["conversation"]["id"] == conversation_id
        synced = await back.call("sync", {"since_seq": 1})
        assert synced["ok"] is True
        assert [m["seq"] for m in synced["messages"]] == [2, 3]
        assert synced["messages"][-1]["text"] == "while you were away"
        assert synced["conversation"]["last_seq"] == 3


async def test_invalid_or_expired_token_makes_a_new_visitor(start_gateway) -> None:
    gateway = await start_gateway()
    async with gateway.visitor(token="forged.token.value") as visitor:
        first_id = visitor.session["visitor_id"]
    short = await start_gateway(data_dir=gateway.ctx.settings.data_dir, visitor_token_ttl_s=60)
    expired = short.ctx.tokens.issue(first_id)
    # A TTL below the token's age: it must no longer open the visitor.
    short.ctx.tokens.ttl_s = -1
    async with short.visitor(token=expired) as visitor:
        assert visitor.session["visitor_id"] != first_id


async def test_origin_allow_list(start_gateway) -> None:
    gateway = await start_gateway(allowed_origins=("https://shop.example",))
    async with gateway.visitor(origin="https://shop.example") as allowed:
        assert allowed.session["visitor_id"]
    # The gateway's own pages (demo, console) are always allowed.
    async with gateway.visitor(origin=gateway.url) as own:
        assert own.session["visitor_id"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gateway.visitor(origin="https://evil.example").connect()


async def test_too_long_is_refused_and_nothing_stored(start_gateway) -> None:
    gateway = await start_gateway(max_text=50)
    async with gateway.visitor() as visitor:
        ack = await visitor.send("x" * 51, cid())
        assert ack["ok"] is False and ack["error"] == "too_long"
        assert ack["message"]
        assert (await visitor.send("x" * 50, cid()))["ok"] is True
    assert await count(gateway, select(func.count()).select_from(Message)
                       .where(Message.sender == "visitor")) == 1


async def test_flood_is_rate_limited(start_gateway) -> None:
    gateway = await start_gateway(rate_limit_messages=5, rate_limit_window_s=60.0)
    async with gateway.visitor() as visitor:
        acks = [await visitor.send(f"spam {i}", cid()) for i in range(8)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False] * 3
    assert {a["error"] for a in acks[5:]} == {"rate_limited"}
    assert await count(gateway, select(func.count()).select_from(Message)
                       .where(Message.sender == "visitor")) == 5


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"client_id": 123, "text": "hi"}, "client_id"),
        ({"client_id": "a", "text": ["hi"]}, "text"),
        ({"text": "no client id"}, "client_id"),
        ({"client_id": "b"}, "text"),
        ({"client_id": "c", "text": "   "}, "text"),
        ({"client_id": "<script>", "text": "bad id"}, "client_id"),
        ("just a string", "object"),
        (["a", "list"], "object"),
        (42, "object"),
    ],
)
async def test_malformed_messages_get_invalid(gateway: Gateway, payload: object,
                                              expected: str) -> None:
    async with gateway.visitor() as visitor:
        ack = await visitor.call("message", payload)
        assert ack["ok"] is False and ack["error"] == "invalid"
        assert expected in ack["message"]
        # The connection and the process are fine afterwards.
        assert (await visitor.send("still here", cid()))["ok"] is True


async def test_other_events_validate_their_payloads(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        for event, payload in [("sync", {"since_seq": "0"}), ("sync", {"since_seq": -1}),
                               ("typing", {"typing": "yes"}), ("csat", {"score": 6}),
                               ("csat", {"score": "5"}), ("close", "now")]:
            ack = await visitor.call(event, payload)
            assert ack == {"ok": False, "error": "invalid", "message": ack["message"]}, event


async def test_huge_nested_json_does_not_kill_the_gateway(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        # Written by hand: the python client itself cannot encode this depth.
        depth = 20_000
        nested = "[" * depth + "]" * depth
        packet = f'2/visitor,7["message",{{"client_id":"deep","text":{nested}}}]'
        await visitor.sio.eio.send(packet)
        await asyncio.sleep(0.5)
    big = "y" * 200_000  # beyond max_payload_bytes: the transport refuses the packet
    async with gateway.visitor() as visitor:
        try:
            await visitor.sio.call("message", {"client_id": "big", "text": big},
                                   namespace="/visitor", timeout=2)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            pass
    async with gateway.visitor() as visitor:
        assert (await visitor.send("the gateway still answers", cid()))["ok"] is True
    assert await count(gateway, select(func.count()).select_from(Message)
                       .where(Message.client_id.in_(["deep", "big"]))) == 0


async def test_typing_reaches_nobody_but_does_not_fail(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        assert (await visitor.call("typing", {"typing": True}))["ok"] is True
        await visitor.send("hi", cid())
        assert (await visitor.call("typing", {"typing": False}))["ok"] is True


async def test_request_human_queues_with_position_and_events(any_db_gateway: Gateway) -> None:
    async with any_db_gateway.visitor() as first, any_db_gateway.visitor() as second:
        await first.send("I need help", cid())
        ack = await first.call("request_human", {})
        assert ack["ok"] and ack["conversation"]["state"] == "queued"
        assert ack["conversation"]["queue_position"] == 1
        status = await first.next_where("status", lambda s: s["state"] == "queued")
        assert status["queue_position"] == 1
        # Asking twice changes nothing.
        again = await first.call("request_human", {})
        assert again["conversation"]["id"] == ack["conversation"]["id"]
        ack2 = await second.call("request_human")
        assert ack2["conversation"]["queue_position"] == 2
        # When the first leaves, the second moves up.
        await first.call("close", {})
        moved = await second.next_where("status", lambda s: s["queue_position"] == 1)
        assert moved["state"] == "queued"
    async with any_db_gateway.ctx.store.begin() as tx:
        types = (await tx.session.scalars(
            select(ConversationEvent.type).where(
                ConversationEvent.conversation_id == ack["conversation"]["id"]
            ).order_by(ConversationEvent.id))).all()
    assert types == ["created", "escalated", "closed"]


async def test_close_then_csat_once(any_db_gateway: Gateway) -> None:
    # Only a chat a person took part in is rated (tests/live_chat/test_nobody_online.py
    # has the refusals): an agent takes this one before the visitor closes it.
    hanako = await agent(any_db_gateway, "Hanako")
    async with any_db_gateway.visitor() as visitor:
        sent = await visitor.send("thanks, bye", cid())
        conversation_id = sent["message"]["conversation_id"]
        assert (await visitor.call("request_human", {}))["ok"]
        assert (await hanako.next("assigned"))["conversation"]["id"] == conversation_id
        closed = await visitor.call("close", {})
        assert closed["ok"] and closed["conversation"]["state"] == "closed"
        assert (await visitor.call("close", {}))["error"] == "not_found"
        assert (await visitor.call("csat", {"score": 5, "comment": "great"})) == {"ok": True}
        again = await visitor.call("csat", {"score": 1})
        assert again["ok"] is False and again["error"] == "conflict"
        # A new message opens a new conversation.
        fresh = await visitor.send("one more question", cid())
        assert fresh["message"]["conversation_id"] != conversation_id
        assert fresh["message"]["seq"] == 1
    async with any_db_gateway.ctx.store.begin() as tx:
        rating = await tx.session.get(Csat, conversation_id)
        conversation = await tx.session.get(Conversation, conversation_id)
    assert rating is not None and rating.score == 5
    assert conversation is not None and conversation.closed_at is not None
    await hanako.disconnect()


async def test_retry_after_conversation_closed_is_still_stored_once(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        client_id = cid()
        first = await visitor.send("question", client_id)
        await visitor.call("close", {})
        retry = await visitor.send("question", client_id)
        assert retry["message"]["id"] == first["message"]["id"]


def _sign(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def test_identity_hmac_verified_never_merged(start_gateway) -> None:
    secret = "site-identity-secret"
    gateway = await start_gateway(identity_secret=secret)
    auth = {"identity": {"user_id": "customer-42", "hmac": _sign(secret, "customer-42")}}
    async with gateway.visitor(auth=auth) as a, gateway.visitor(auth=dict(auth)) as b:
        assert a.session["visitor_id"] == b.session["visitor_id"]
    wrong = {"identity": {"user_id": "customer-42", "hmac": _sign("guess", "customer-42")}}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gateway.visitor(auth=wrong).connect()


async def test_visitor_token_never_opens_agent_namespace(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
    agent = VisitorClient(gateway.url, auth={"token": token}, namespace="/agent")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await agent.connect()


async def test_retry_after_a_new_conversation_opened_is_still_stored_once(
    gateway: Gateway,
) -> None:
    async with gateway.visitor() as visitor:
        client_id = cid()
        first = await visitor.send("the lost ack", client_id)
        await visitor.call("close", {})
        await visitor.send("a new conversation", cid())
        retry = await visitor.send("the lost ack", client_id)
        assert retry["message"]["id"] == first["message"]["id"]
    assert await count(gateway, select(func.count()).select_from(Message)
                       .where(Message.client_id == client_id)) == 1


async def test_identity_with_non_ascii_hmac_is_refused_not_hung(start_gateway) -> None:
    gateway = await start_gateway(identity_secret="site-identity-secret")
    visitor = gateway.visitor(auth={"identity": {"user_id": "u1", "hmac": "é" * 64}})
    # Refused at once: a hang would end in asyncio's TimeoutError instead.
    with pytest.raises(socketio.exceptions.ConnectionError):
        await asyncio.wait_for(visitor.connect(), 5)


async def test_burst_of_retrying_visitors_stored_once_gap_free_acked_after_commit(
    any_db_gateway: Gateway,
) -> None:
    """200 visitors at once, each sending two messages and retrying each with the same
    client_id while the first attempt is in flight: every message is stored once,
    answered by the bot once, with gap-free seqs, and every ack's row is already
    readable from a connection of another engine when the ack arrives."""
    from live_chat.store.database import create_engine

    visitors = [any_db_gateway.visitor() for _ in range(200)]
    await asyncio.gather(*(v.connect() for v in visitors))
    reader = create_engine(any_db_gateway.ctx.store.engine.url.render_as_string(
        hide_password=False))
    unseen: list[str] = []

    async def turn(visitor: VisitorClient, text: str) -> dict[str, object]:
        client_id = cid()
        acks = await asyncio.gather(*(visitor.send(text, client_id) for _ in range(3)))
        assert all(a["ok"] for a in acks), acks
        assert len({a["message"]["id"] for a in acks}) == 1
        async with reader.connect() as conn:
            found = await conn.scalar(select(func.count()).select_from(Message)
                                      .where(Message.id == acks[0]["message"]["id"]))
        if found != 1:
            unseen.append(acks[0]["message"]["id"])
        return acks[0]["message"]

    async def visit(visitor: VisitorClient) -> str:
        first = await turn(visitor, "where is my order?")
        await turn(visitor, "how do I reset my password")
        return str(first["conversation_id"])

    try:
        conversations = await asyncio.gather(*(visit(v) for v in visitors))
        await any_db_gateway.ctx.conversations.drain()
        assert unseen == []
        assert len(set(conversations)) == 200
        for conversation_id in conversations:
            stored = await stored_messages(any_db_gateway, conversation_id)
            assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
            senders = [m.sender for m in stored]
            assert senders.count("visitor") == 2
            # Each visitor message is answered once, right after it.
            assert senders[:4] == ["visitor", "bot", "visitor", "bot"], senders
    finally:
        await reader.dispose()
        await asyncio.gather(*(v.disconnect() for v in visitors))


@pytest.mark.parametrize("text", ["hello\x00world", "broken \ud800 half"])
async def test_text_no_database_stores_is_invalid_and_the_next_message_goes_through(
    any_db_gateway: Gateway, text: str
) -> None:
    """A NUL (PostgreSQL refuses it) or an unpaired surrogate, in the message or in the
    connect's locale and page_url: a clear `invalid`, not `unavailable` or a failed connect."""
    auth = {"locale": f"ja{text}", "page_url": f"https://shop.example/{text}"}
    async with any_db_gateway.visitor(auth=auth) as visitor:
        ack = await visitor.send(text, cid())
        assert ack["ok"] is False and ack["error"] == "invalid", ack
        assert "text" in ack["message"]
        assert (await visitor.send("still here", cid()))["ok"] is True
    assert await count(any_db_gateway, select(func.count()).select_from(Message)
                       .where(Message.sender == "visitor")) == 1


async def test_sync_past_the_largest_seq_is_invalid(any_db_gateway: Gateway) -> None:
    """Before, 2**31 overflowed the database's integer: `unavailable` and a traceback."""
    async with any_db_gateway.visitor() as visitor:
        assert (await visitor.send("hello", cid()))["ok"]
        for since in (2**31, 10**30):
            ack = await visitor.call("sync", {"since_seq": since})
            assert ack["ok"] is False and ack["error"] == "invalid", ack
        ack = await visitor.call("sync", {"since_seq": 2**31 - 1})
        assert ack["ok"] and ack["messages"] == []


async def test_emoji_text_is_measured_in_code_points_like_the_widget(start_gateway) -> None:
    """Issue 13: a ZWJ family emoji is 7 code points (11 UTF-16 units); the limit
    counts code points, as the widget's counter does, and keeps the text intact."""
    family = "\U0001F469\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"
    at_limit = family * 7 + "\U0001F600"  # 49 + 1 = 50 code points, 79 UTF-16 units
    gateway = await start_gateway(max_text=50)
    async with gateway.visitor() as visitor:
        over = await visitor.send(at_limit + "\U0001F600", cid())
        assert over["ok"] is False and over["error"] == "too_long"
        assert (await visitor.send(at_limit, cid()))["ok"] is True
    async with gateway.ctx.store.begin() as tx:
        query = select(Message.text).where(Message.sender == "visitor")
        stored = list(await tx.session.scalars(query))
    assert stored == [at_limit]
