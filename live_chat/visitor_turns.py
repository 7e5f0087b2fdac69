"""A visitor's turn: their message, the bot's decision on it, and what that decision stores.

Many turns are stored in one transaction by the group commit
(:mod:`live_chat.store.group_commit`); :meth:`VisitorTurns.write` is what it
runs on each batch. With a bot that decides in process, the decision is
pure computation (~0.1 ms) made inside the transaction, from the dialogue
state the conversation's previous turn stored, so the visitor's message, its
classification, the reply and any state move commit together. A remote bot
(Rasa: an HTTP call) decides after the commit, in a second step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import Action, Bot, Decision
from bot.language import confident_language
from live_chat.lifecycle import Mover, apply_move, is_open
from live_chat.store.models import Conversation, Message
from live_chat.store.turns import TurnWrites, open_conversations, stored_by_client_id


class Writes(Mover, Protocol):
    """The write calls a decision needs: a store transaction has them, so has a batch."""

    async def add_message(self, conversation_id: str, *, sender: str, text: str,
                          quick_replies: list[dict[str, str]] | None = None,
                          action: str | None = None, image: str | None = None,
                          custom: dict[str, Any] | None = None) -> Message: ...

    async def add_event(self, conversation_id: str, type_: str, *,
                        actor: str | None = None,
                        data: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class VisitorTurn:
    """One visitor message to store (``locale``: the connection's, for a new conversation;
    ``attachments``: the files it carries, as clients see them)."""

    visitor_id: str
    client_id: str
    text: str
    payload: str | None
    locale: str | None
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """What a turn stored; ``created`` is False for a retry (``message`` is the first copy).

    ``relocaled``: the visitor's words changed the language of an open
    conversation (and of the visitor), stored with the message.
    """

    conversation: Conversation | None
    message: Message
    created: bool
    new_conversation: bool = False
    decided: bool = False
    replies: tuple[Message, ...] = ()
    moved: bool = False
    bot_state: dict[str, Any] | None = None
    locale: str = "en"
    relocaled: bool = False

    @property
    def reply(self) -> Message | None:
        """The bot's (first) reply, if it said anything."""
        return self.replies[0] if self.replies else None


#: Told of each decision the bot makes: its action and the seconds it took.
OnDecision = Callable[[str, float], None]


def _unobserved(action: str, seconds: float) -> None:
    pass


class VisitorTurns:
    """Stores batches of visitor turns; ``bot`` returns the bot currently serving,
    ``on_decision`` hears of each decision made (the Prometheus metrics)."""

    def __init__(self, bot: Callable[[], Bot], on_decision: OnDecision = _unobserved) -> None:
        self._bot = bot
        self._on_decision = on_decision

    async def write(self, conn: AsyncConnection,
                    turns: Sequence[VisitorTurn]) -> list[StoredTurn | BaseException]:
        """Store ``turns`` on ``conn`` (one open transaction), in order; one outcome each."""
        # Lock first: a copy committed by another process while this batch waited
        # for the lock is then seen by the read of stored copies.
        by_visitor = await open_conversations(conn, {t.visitor_id for t in turns})
        stored = await stored_by_client_id(conn, ((t.visitor_id, t.client_id) for t in turns))
        writes = TurnWrites(by_visitor.values())
        bot = self._bot()
        outcomes: list[StoredTurn | BaseException] = []
        for turn in turns:
            # A retry finds its first copy in whichever conversation it went to,
            # even one closed (and followed by another) in the meantime.
            first = stored.get((turn.visitor_id, turn.client_id))
            if first is not None:
                outcomes.append(StoredTurn(None, first, created=False))
                continue
            try:
                outcome = await self._turn(writes, by_visitor, bot, turn)
            except Exception as exc:  # this turn alone fails (a bot that raised, say)
                outcomes.append(exc)
                continue
            stored[(turn.visitor_id, turn.client_id)] = outcome.message
            outcomes.append(outcome)
        await writes.flush(conn)
        return outcomes

    async def _turn(self, writes: TurnWrites, by_visitor: dict[str, Conversation], bot: Bot,
                    turn: VisitorTurn) -> StoredTurn:
        conversation = by_visitor.get(turn.visitor_id)
        new_conversation = conversation is None
        # What the visitor clearly writes is their language, whatever the widget
        # said at connect (a site's setting, a browser's); a clicked quick
        # reply is in the bot's words, not theirs.
        written = confident_language(turn.text) if turn.payload is None else None
        # A new conversation starts with the bot, in the connection's language.
        locale = (conversation and conversation.locale) or turn.locale or "en"
        bot_state = dict(conversation.bot_state or {}) if conversation else {}
        decision = None
        # A message with files only has no words for the bot to answer.
        with_bot = conversation is None or conversation.state == "bot"
        if with_bot and bot.decides_in_process and turn.text:
            # Before any write: a decision that raises leaves nothing half stored.
            started = time.perf_counter()
            decision = bot.respond(turn.text, payload=turn.payload, locale=locale,
                                   state=bot_state)
            self._on_decision(decision.action.value, time.perf_counter() - started)
        relocaled = False
        if conversation is None:
            conversation = await writes.add_conversation(turn.visitor_id,
                                                         locale=written or turn.locale)
            by_visitor[turn.visitor_id] = conversation
            if written is not None and written != turn.locale:
                writes.set_locale(conversation, written)  # the visitor's row too
        elif written is not None and written != conversation.locale:
            writes.set_locale(conversation, written)
            relocaled = True
        message = await writes.add_message(
            conversation.id, sender="visitor", text=turn.text, client_id=turn.client_id,
            payload=turn.payload, intent=decision.intent if decision else None,
            confidence=decision.confidence if decision else None,
            attachments=list(turn.attachments),
        )
        replies, moved = ((), False) if decision is None else await record_decision(
            writes, conversation, decision)
        if not is_open(conversation.state):
            del by_visitor[turn.visitor_id]  # closed: the visitor's next message opens one
        return StoredTurn(conversation, message, created=True, new_conversation=new_conversation,
                          decided=decision is not None, replies=replies, moved=moved,
                          bot_state=bot_state, locale=locale, relocaled=relocaled)


async def record_decision(writes: Writes, conversation: Conversation,
                          decision: Decision) -> tuple[tuple[Message, ...], bool]:
    """Store what the bot decided: its dialogue state, its replies (none, one, or a Rasa
    assistant's several) and the state move it asks for; (the replies, whether the
    state changed)."""
    conversation.bot_state = dict(decision.state)
    replies = []
    for said in decision.replies:
        replies.append(await writes.add_message(
            conversation.id, sender="bot", text=said.text,
            quick_replies=[{"title": q.title, "payload": q.payload}
                           for q in said.quick_replies],
            action=decision.action.value, image=said.image, custom=said.custom,
        ))
    stored = tuple(replies)
    if decision.action is Action.ESCALATE:
        conversation.priority = decision.priority
        await apply_move(writes, conversation, "escalate", actor="bot",
                         data={"intent": decision.intent, "priority": decision.priority})
        return stored, True
    if decision.resolved:
        conversation.resolution = "resolved_by_bot"
        await writes.add_event(conversation.id, "bot_resolved", actor="visitor")
        await apply_move(writes, conversation, "close", actor="bot")
        return stored, True
    return stored, False
