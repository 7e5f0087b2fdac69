"""The bot asks instead of guessing, and the visitor's answer teaches the admins.

A real gateway on loopback with real visitor sockets. The answer threshold is
set high (``TSUNAGU_ANSWER_THRESHOLD``), so a vague in-scope question lands
between it and the out-of-scope threshold whatever the default model's exact
confidence: the bot asks which topic it is.
"""

from __future__ import annotations

from live_chat.store.models import Message
from tests.clients import login
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.admin.test_admin_api import api
from tests.live_chat.admin.test_inbox import PASSWORD, Chat, add_agent, payloads

VAGUE = "注文の件で相談があります"


async def login_token(gateway: Gateway, email: str) -> str:
    status, body, _ = await login(gateway.url, email, PASSWORD)
    assert status == 200, body
    return str(body["token"])


async def test_a_vague_question_is_asked_about_and_the_choice_reaches_the_inbox(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(answer_threshold=0.999)  # TSUNAGU_ANSWER_THRESHOLD
    await add_agent(gateway, "Admin", role="admin")
    token = await login_token(gateway, "admin@example.com")

    chose = await Chat.open(gateway, "ja")
    question = await chose.say(VAGUE)
    offered = payloads(chose.reply)
    assert offered[-1] == "/something_else", chose.reply
    topics = [p for p in offered if p.startswith("/intent:")]
    assert 1 <= len(topics) <= 3 and "/intent:complaint" not in topics
    assert chose.reply["quick_replies"][-1]["title"] == "その他"
    assert "キャンセル" not in chose.reply["text"]  # not an answer, a question

    chosen = topics[-1]
    await chose.click(chosen)
    answer = await chose.visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert "/feedback:no" in payloads(answer)  # answered, and asked whether it helped

    other = await Chat.open(gateway, "ja")
    unsure = await other.say(VAGUE)
    await other.click("/something_else")
    offer = await other.visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert payloads(offer) == ["/request_human"]

    async with gateway.ctx.store.begin() as tx:
        asked = await tx.session.get(Message, chose.reply["id"])
        answered = await tx.session.get(Message, answer["id"])
        typed = await tx.session.get(Message, question)
        assert asked is not None and answered is not None and typed is not None
        assert (asked.action, answered.action) == ("clarify", "answer")
        assert typed.intent is not None and 0 < (typed.confidence or 0) < 0.999
        offered_person = await tx.session.get(Message, offer["id"])
        assert offered_person is not None and offered_person.action == "fallback"

    # The admin inbox (its HTTP API) shows the question the visitor typed,
    # labelled by the topic they chose; "something else" is a question the
    # bot did not know.
    status, body = await api(gateway, "GET", "/api/admin/unmatched", token)
    assert status == 200, body
    examples = {e["message_id"]: (g, e) for g in body["groups"] for e in g["examples"]}
    group, example = examples[question]
    assert example["text"] == VAGUE and example["reason"] == "clarified"
    assert examples[unsure][1]["reason"] == "out_of_scope"
    if group["size"] == 1:
        assert group["suggested_intent"] == chosen.removeprefix("/intent:")
