"""Read receipts (issue 13): the `read` event on /visitor and /agent, against a real
gateway with python-socketio clients — who may move which mark, that a mark only
goes forward (also when reports race), that the other side is told, and that
snapshots carry both marks after a reconnect."""

from __future__ import annotations

import asyncio
import random

from live_chat.throttle import VISITOR_READS
from tests.clients import AgentClient, VisitorClient, cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, agent, waiting_visitor


async def held_chat(gateway: Gateway) -> tuple[AgentClient, VisitorClient, str, int]:
    """Hanako holds a visitor's chat and has replied once; the reply's seq."""
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway, "my parcel is late")
    assigned = await hanako.next("assigned")
    assert assigned["conversation"]["read"] == {"visitor": 0, "agent": 0}
    held = assigned["conversation"]["id"]
    reply = await hanako.call("message", {"conversation_id": held, "client_id": cid(),
                                          "text": "Let me look."})
    assert reply["ok"], reply
    await visitor.next_where("message", lambda m: m["text"] == "Let me look.")
    return hanako, visitor, held, reply["message"]["seq"]


async def stored_marks(gateway: Gateway, conversation_id: str) -> tuple[int, int]:
    """(visitor_read_seq, agent_read_seq) as the record has them."""
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.conversation(conversation_id)
        assert conversation is not None
        return conversation.visitor_read_seq, conversation.agent_read_seq


async def test_each_sides_mark_reaches_the_other_is_stored_and_never_goes_back(
    any_db_gateway: Gateway,
) -> None:
    gateway = any_db_gateway
    hanako, visitor, held, seq = await held_chat(gateway)

    ack = await visitor.call("read", {"seq": seq})
    assert ack == {"ok": True, "conversation_id": held, "read": {"visitor": seq, "agent": 0}}
    told = await hanako.next("read")
    assert told == {"conversation_id": held, "by": "visitor", "seq": seq}

    await visitor.send("It was due Monday.", cid())
    newest = (await hanako.next_where("message", lambda m: m["text"] == "It was due Monday."))[
        "seq"]
    ack = await hanako.call("read", {"conversation_id": held, "seq": newest})
    assert ack["ok"] and ack["read"] == {"visitor": seq, "agent": newest}
    assert await visitor.next("read") == {"conversation_id": held, "by": "agent",
                                          "seq": newest}
    assert await stored_marks(gateway, held) == (seq, newest)

    # Lower reports (a stale tab, a late packet) change nothing and tell nobody.
    back = await visitor.call("read", {"seq": 1})
    assert back["ok"] and back["read"] == {"visitor": seq, "agent": newest}
    back = await hanako.call("read", {"conversation_id": held, "seq": 1})
    assert back["ok"] and back["read"] == {"visitor": seq, "agent": newest}
    same = await visitor.call("read", {"seq": seq})
    assert same["ok"] and same["read"]["visitor"] == seq
    assert await stored_marks(gateway, held) == (seq, newest)
    # The next event each side gets is the next real move, not the refused ones.
    assert (await visitor.call("read", {"seq": newest}))["read"]["visitor"] == newest
    assert await hanako.next("read") == {"conversation_id": held, "by": "visitor",
                                         "seq": newest}
    assert visitor.pending("read") == []

    # Many reports at once, in any order, on concurrent transactions: the marks end
    # at the highest and no ack ever says less than what its caller sent.
    rng = random.Random(13)
    seqs = [rng.randint(0, newest) for _ in range(24)] + [newest]
    rng.shuffle(seqs)
    acks = await asyncio.gather(
        *(visitor.call("read", {"seq": s}) for s in seqs),
        *(hanako.call("read", {"conversation_id": held, "seq": s}) for s in seqs))
    assert all(a["ok"] for a in acks), acks
    for s, a in zip(seqs, acks[:len(seqs)], strict=True):
        assert a["read"]["visitor"] >= s
    for s, a in zip(seqs, acks[len(seqs):], strict=True):
        assert a["read"]["agent"] >= s
    assert await stored_marks(gateway, held) == (newest, newest)
    for client in (hanako, visitor):
        await client.disconnect()


async def test_bad_seqs_are_invalid_nothing_moves_and_reports_are_rate_limited(
    gateway: Gateway,
) -> None:
    hanako, visitor, held, seq = await held_chat(gateway)
    async with gateway.ctx.store.begin() as tx:
        last = (await tx.conversation(held)).last_seq  # type: ignore[union-attr]
    for bad in (last + 1, 2**31, -1, "3", True, 1.5, None):
        for client, payload in ((visitor, {"seq": bad}),
                                (hanako, {"conversation_id": held, "seq": bad})):
            ack = await client.call("read", payload)
            assert ack["ok"] is False and ack["error"] == "invalid", (bad, ack)
            assert ack["message"].startswith("seq"), ack
    for client, payload in ((visitor, {}), (visitor, [1]), (hanako, {"seq": seq})):
        assert (await client.call("read", payload))["error"] == "invalid"
    beyond = await visitor.call("read", {"seq": last + 1})
    assert f"at most {last}" in beyond["message"]
    assert await stored_marks(gateway, held) == (0, 0)
    # A visitor with no conversation yet has nothing to mark.
    async with gateway.visitor() as stranger:
        assert (await stranger.call("read", {"seq": 0}))["error"] == "not_found"

    # Reports have a limit of their own per visitor (the two `last + 1` counted).
    most, _ = VISITOR_READS
    acks = [await visitor.call("read", {"seq": 1}) for _ in range(most)]
    assert all(a["ok"] for a in acks[:most - 2]), acks[:most - 2]
    assert [a["error"] for a in acks[most - 2:]] == ["rate_limited"] * 2
    for client in (hanako, visitor):
        await client.disconnect()


async def test_only_the_holder_and_the_chats_own_visitor_move_its_marks(
    gateway: Gateway,
) -> None:
    hanako, visitor, held, seq = await held_chat(gateway)
    taro = await agent(gateway, "Taro")
    boss = await agent(gateway, "Boss", role="supervisor")
    assert (await boss.call("watch", {"conversation_id": held}))["ok"]
    ref = {"conversation_id": held, "seq": seq}
    # Watching read-only is not reading for the agent; another agent holds nothing here.
    for other in (boss, taro):
        ack = await other.call("read", ref)
        assert ack["ok"] is False and ack["error"] == "forbidden", ack
    assert (await hanako.call("read", {"conversation_id": "nope", "seq": 0}))[
        "error"] == "not_found"
    # Another visitor names the chat: the id is ignored, their own chat is meant.
    other = await gateway.visitor().connect()
    await other.send("hello", cid())
    await other.next_where("message", lambda m: m["sender"] == "bot")
    ack = await other.call("read", {"seq": 1, "conversation_id": held})
    assert ack["ok"] and ack["conversation_id"] != held
    assert (await other.call("read", {"seq": seq + 5}))["error"] == "invalid"
    assert await stored_marks(gateway, held) == (0, 0)

    # The chat's own visitor: the holder and the watching supervisor are told.
    assert (await visitor.call("read", {"seq": seq}))["ok"]
    expected = {"conversation_id": held, "by": "visitor", "seq": seq}
    assert await hanako.next("read") == expected
    assert await boss.next("read") == expected
    assert taro.pending("read") == []
    assert await stored_marks(gateway, held) == (seq, 0)
    for client in (hanako, taro, boss, visitor, other):
        await client.disconnect()


async def test_snapshots_carry_the_marks_after_a_reconnect(gateway: Gateway) -> None:
    hanako, visitor, held, seq = await held_chat(gateway)
    assert (await visitor.call("read", {"seq": seq}))["ok"]
    assert (await hanako.call("read", {"conversation_id": held, "seq": seq}))["ok"]
    marks = {"visitor": seq, "agent": seq}
    token = visitor.session["visitor_token"]
    await visitor.disconnect()
    await hanako.disconnect()

    async with gateway.visitor(token=token) as again:
        assert again.session["conversation"]["read"] == marks
        synced = await again.call("sync", {"since_seq": 0})
        assert synced["conversation"]["read"] == marks
    console = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    (chat,) = console.hello["conversations"]
    assert chat["id"] == held and chat["read"] == marks
    assert (await console.call("sync", {"conversation_id": held, "since_seq": 0}))[
        "conversation"]["read"] == marks
    await console.disconnect()
