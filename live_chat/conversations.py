"""The one path a message takes: validate, store, acknowledge, broadcast, let the bot answer.

:class:`ConversationService` is what the Socket.IO handlers call. It knows the
store, the bot and a :class:`Notifier` (how to reach clients), but not
Socket.IO itself, so the same calls serve the visitor and agent namespaces.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from bot import Bot
from bot.language import confident_language
from live_chat.attachments.links import Party
from live_chat.attachments.service import Attachments
from live_chat.errors import Conflict, NotFound, Unavailable
from live_chat.lifecycle import apply_move, rateable
from live_chat.mail.messages import MessageMail
from live_chat.presence import LocalPresence, RedisPresence
from live_chat.redaction import Redactor
from live_chat.routing import Routing
from live_chat.store.group_commit import GroupCommit
from live_chat.store.models import Conversation, Message, utcnow
from live_chat.store.repository import IntegrityError, Store
from live_chat.visitor_turns import VisitorTurn, VisitorTurns, record_decision
from live_chat.wire import (
    CsatIn,
    LeaveMessageIn,
    VisitorMessageIn,
    checked_text,
    conversation_out,
    message_out,
)

log = logging.getLogger(__name__)

Presence = LocalPresence | RedisPresence

# A retried send racing its first attempt loses on a unique constraint; the
# next round then finds the stored copy. Two rounds always suffice, three is slack.
_WRITE_ATTEMPTS = 3


class Notifier(Protocol):
    """How the service reaches clients; implemented over Socket.IO in ``broadcast.py``."""

    async def message(
        self, conversation: Conversation, message: dict[str, Any], *,
        skip_sid: str | None = None, to_visitor: bool = True, to_agent: bool = True,
    ) -> None: ...

    async def status(self, conversation: Conversation, payload: dict[str, Any]) -> None: ...


class TurnObserver(Protocol):
    """Hears what the bot decided and which conversations went to people (the
    Prometheus metrics, :class:`live_chat.prometheus.GatewayMetrics`)."""

    def bot_decided(self, action: str, seconds: float) -> None: ...

    def escalated(self, by: str) -> None: ...


class _Unobserved:
    def bot_decided(self, action: str, seconds: float) -> None:
        pass

    def escalated(self, by: str) -> None:
        pass


class KeyedLocks:
    """One FIFO lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]


@dataclass(frozen=True, slots=True)
class _Turn:
    """What the bot needs to answer one stored visitor message."""

    message: Message
    bot_state: dict[str, Any]
    locale: str


@dataclass(frozen=True, slots=True)
class Sent:
    """The stored message and whether this call stored it (False: a retry).

    ``locale``: the language of the visitor's conversation after this message
    (None for a retry).
    """

    message: dict[str, Any]
    created: bool
    locale: str | None = None


class ConversationService:
    """Visitor-side operations on conversations.

    ``store`` is the record, ``bot`` a callable returning the bot currently
    serving (so a new model can be swapped in while running), ``notifier``
    reaches the clients, ``routing`` hands escalations to people,
    ``presence`` counts each visitor's open tabs across processes,
    ``attachments`` checks the files a message sends,
    ``max_text`` is the longest accepted message text.
    """

    def __init__(
        self,
        store: Store,
        bot: Callable[[], Bot],
        notifier: Notifier,
        routing: Routing,
        presence: Presence,
        attachments: Attachments,
        *,
        max_text: int,
        redact: Redactor | None = None,
        observer: TurnObserver | None = None,
        team_mail: MessageMail | None = None,
    ) -> None:
        """``team_mail``: the queue that e-mails offline messages to the team (None, or
        no :attr:`~MessageMail.team_address`: they are not e-mailed)."""
        self.store = store
        self.observer = observer or _Unobserved()
        self.team_mail = team_mail
        self.attachments = attachments
        self.presence = presence
        self._bot = bot
        self.notifier = notifier
        self.routing = routing
        self.max_text = max_text
        self.redact = redact or Redactor()
        self._turns = KeyedLocks()
        self._writer = GroupCommit(store.engine,
                                   VisitorTurns(bot, self.observer.bot_decided).write)
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.Task[None]] = set()

    # -- messages -----------------------------------------------------------

    async def visitor_message(
        self, visitor_id: str, data: VisitorMessageIn, *, locale: str | None, sid: str | None = None
    ) -> Sent:
        """Store a visitor's message once, then broadcast it and let the bot answer.

        The message goes through the group commit (``live_chat/visitor_turns.py``):
        with a bot that decides in process, its answer is decided and stored in
        the same transaction, shared with the other visitors' turns of the
        moment. With a remote engine (Rasa: an HTTP call) the answer is a
        second step, after the commit.
        """
        files = await self.attachments.for_message(
            Party("visitor", visitor_id), [a.id for a in data.attachments], data.client_id)
        text = checked_text(data.text, self.max_text, self.redact, may_be_empty=bool(files))
        turn = VisitorTurn(visitor_id, data.client_id, text, data.payload, locale, files)
        for _ in range(_WRITE_ATTEMPTS):
            try:
                stored = await self._writer.submit(turn)
                break
            except IntegrityError:
                # A retry racing its first attempt, or two processes opening the
                # visitor's conversation: the next round reads what won.
                continue
        else:
            raise Unavailable("could not store the message; send it again")
        out = message_out(stored.message)
        conversation = stored.conversation
        if conversation is None:
            return Sent(out, created=False)
        if (stored.new_conversation or stored.relocaled) and not stored.moved:
            # A move is announced by _announce. A new language goes to the
            # visitor (the widget relabels) and to the agent holding the chat.
            await self.notifier.status(conversation, await self.routing.queue_status(conversation))
        # The sending tab has the message in its ack; the other tabs, if any, get it
        # now (an emit costs a Redis publish that every process reads).
        others = sid is None or await self.presence.open_tabs(turn.visitor_id) > 1
        await self.notifier.message(conversation, out, skip_sid=sid, to_visitor=others)
        if stored.decided:
            # After the ack (sent when this returns), as the two-step path does.
            self._spawn(self._announce(conversation, stored.replies, stored.moved))
        elif conversation.state == "bot" and stored.message.text:  # files only: no words
            self._spawn(self._bot_turn(conversation.id, _Turn(
                stored.message, stored.bot_state or {}, stored.locale)))
        return Sent(out, created=True, locale=conversation.locale)

    async def sync(self, visitor_id: str, since_seq: int) -> dict[str, Any]:
        """The visitor's current (or latest) conversation and its messages after ``since_seq``."""
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id) or await tx.latest_conversation(
                visitor_id
            )
            if conversation is None:
                return {"conversation": None, "messages": []}
            messages = await tx.messages_since(conversation.id, since_seq)
        return {"conversation": await self.routing.queue_status(conversation),
                "messages": [message_out(m) for m in messages]}

    async def current(self, visitor_id: str) -> dict[str, Any] | None:
        """The visitor's open conversation, as the ``session`` event shows it."""
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id)
        return None if conversation is None else await self.routing.queue_status(conversation)

    async def open_conversation(self, visitor_id: str) -> Conversation | None:
        async with self.store.begin() as tx:
            return await tx.open_conversation(visitor_id)

    # -- the bot's turn -----------------------------------------------------

    async def _bot_turn(self, conversation_id: str, turn: _Turn) -> None:
        # One turn at a time per conversation, in arrival order (asyncio.Lock is
        # FIFO), so replies follow the questions they answer.
        async with self._turns.hold(conversation_id):
            await self._answer(conversation_id, turn)

    async def _answer(self, conversation_id: str, turn: _Turn) -> None:
        message, state = turn.message, turn.bot_state
        if self._bot().assistant is not None and not await self._with_bot(conversation_id):
            # A Rasa assistant keeps what it is sent in its tracker: a message
            # that waited while a person took over is not its to answer.
            return
        for _ in range(_WRITE_ATTEMPTS):
            # Outside any transaction: with TSUNAGU_NLU=rasa this is an HTTP call.
            started = time.perf_counter()
            decision = await self._bot().respond_async(
                message.text, payload=message.payload, locale=turn.locale, state=state,
                conversation_id=conversation_id,
            )
            self.observer.bot_decided(decision.action.value, time.perf_counter() - started)
            async with self.store.begin() as tx:
                conversation = await tx.conversation(conversation_id, lock=True)
                if conversation is None or conversation.state != "bot":
                    return  # a person took over (or it ended) while this turn waited
                if (conversation.bot_state or {}) != state:
                    if self._bot().assistant is not None:
                        # Rasa has logged the message in its tracker: asking again
                        # would send it twice. Its answer stands; the stored
                        # state (not Rasa's dialogue) stays as it now is.
                        decision = replace(decision, state=dict(conversation.bot_state or {}))
                    else:
                        # An earlier turn moved the dialogue on since the message
                        # was stored: decide again from where it is now.
                        state = dict(conversation.bot_state or {})
                        continue
                await tx.classify(message.id, decision.intent, decision.confidence)
                replies, moved = await record_decision(tx, conversation, decision)
            break
        else:
            log.error("bot turn for %s gave up: the dialogue kept changing", conversation_id)
            return
        await self._announce(conversation, replies, moved, in_turn=True)

    async def _with_bot(self, conversation_id: str) -> bool:
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
        return conversation is not None and conversation.state == "bot"

    async def _announce(self, conversation: Conversation, replies: tuple[Message, ...],
                        moved: bool, *, in_turn: bool = False) -> None:
        """After the commit: send the bot's replies in order, then tell of the state move.
        ``in_turn``: called from a bot turn, which holds the conversation's turn lock."""
        for reply in replies:
            await self.notifier.message(conversation, message_out(reply))
        if moved:
            if conversation.state == "queued":
                self.observer.escalated("bot")
            await self._after_move(conversation, in_turn=in_turn)

    async def hold_bot(self, conversation_id: str) -> None:
        """A person has the conversation: the bot's own dialogue pauses (a Rasa
        assistant's tracker); in turn with the conversation's bot turns."""
        async with self._turns.hold(conversation_id):
            await self._bot().hold(conversation_id)

    async def release_bot(self, conversation_id: str) -> None:
        """The bot has the conversation again: its dialogue resumes where it paused.
        Awaited before the hand-back is announced, so the visitor's next message
        finds the assistant listening."""
        async with self._turns.hold(conversation_id):
            await self._bot().release(conversation_id)

    # -- visitor requests ---------------------------------------------------

    async def request_human(self, visitor_id: str, *, locale: str | None) -> dict[str, Any]:
        """Escalate the visitor's conversation (opening one if needed); idempotent."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                async with self.store.begin() as tx:
                    conversation = await tx.open_conversation(visitor_id, lock=True)
                    if conversation is None:
                        visitor = await tx.visitor(visitor_id)
                        conversation = await tx.add_conversation(
                            visitor_id, locale=(visitor and visitor.locale) or locale)
                    moved = conversation.state == "bot"
                    if moved:
                        await apply_move(tx, conversation, "escalate", actor="visitor",
                                         data={"intent": "request_human", "priority": 0})
                break
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
        if moved:
            self.observer.escalated("visitor")
        if moved or conversation.state == "queued":
            # Also when already queued: a retry after the backend call failed
            # must reach the backend (enqueue is idempotent).
            await self._after_move(conversation)
        return await self.current_snapshot(conversation.id)

    async def close(self, visitor_id: str) -> dict[str, Any]:
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id, lock=True)
            if conversation is None:
                raise NotFound("there is no open conversation to close")
            await apply_move(tx, conversation, "close", actor="visitor")
        await self._after_move(conversation)
        return conversation_out(conversation)

    async def back_to_bot(self, visitor_id: str) -> dict[str, Any]:
        """The visitor would rather keep chatting with the bot than wait for a person.

        The waiting conversation goes back to the bot with a fresh dialogue, as an
        agent's hand-back does (event ``handed_back``, actor ``visitor``), and
        leaves the queue. :class:`NotFound` without an open conversation,
        :class:`Conflict` when it is not waiting.
        """
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id, lock=True)
            if conversation is None:
                raise NotFound("there is no open conversation to hand back")
            if conversation.state != "queued":
                raise Conflict("only a chat waiting for a person can go back to the assistant")
            conversation.bot_state = {}
            await apply_move(tx, conversation, "handback", actor="visitor")
        await self._after_move(conversation)
        return conversation_out(conversation)

    async def leave_message(self, visitor_id: str, data: LeaveMessageIn, *,
                            locale: str | None = None) -> dict[str, Any]:
        """Nobody can answer now: store the visitor's message and contact, and end the wait.

        ``locale``: the connection's language, for a conversation this opens
        when neither the text nor the visitor's record says one.
        """
        text = checked_text(data.text, self.max_text, self.redact)
        written = confident_language(text)
        contact = {"name": data.name, "email": data.email}
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                async with self.store.begin() as tx:
                    existing = await tx.visitor_message_by_client_id(visitor_id, data.client_id)
                    if existing is not None:
                        conversation = await tx.conversation(existing.conversation_id)
                        assert conversation is not None
                        return conversation_out(conversation)
                    conversation = await tx.open_conversation(visitor_id, lock=True)
                    visitor = await tx.visitor(visitor_id)
                    if written is not None and visitor is not None:
                        visitor.locale = written
                    if conversation is None:
                        conversation = await tx.add_conversation(
                            visitor_id, locale=written or (visitor and visitor.locale) or locale)
                    elif written is not None:
                        conversation.locale = written
                    message = await tx.add_message(
                        conversation.id, sender="visitor", text=text,
                        client_id=data.client_id,
                    )
                    await tx.add_event(conversation.id, "offline_message", actor="visitor",
                                       data=contact)
                    if self.team_mail is not None and (to := self.team_mail.team_address):
                        await self.team_mail.queue(tx, "offline_message", message, to)
                    conversation.resolution = "offline_message"
                    await apply_move(tx, conversation, "close", actor="visitor")
                break
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
        if self.team_mail is not None:
            self.team_mail.wake()
        await self.notifier.message(conversation, message_out(message))
        await self._after_move(conversation)
        return conversation_out(conversation)

    def visitor_left(self, visitor_id: str, *, after_s: float) -> None:
        """The visitor's last tab closed: if they wait in the queue and stay away, abandon."""
        left_at = utcnow()
        task = asyncio.get_running_loop().create_task(
            self._abandon_if_gone(visitor_id, left_at, after_s)
        )
        self._timers.add(task)
        task.add_done_callback(self._timer_done)

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        self._timers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("abandonment check failed", exc_info=task.exception())

    async def _abandon_if_gone(self, visitor_id: str, left_at: datetime, after_s: float) -> None:
        await asyncio.sleep(after_s)
        await self._abandon(visitor_id, left_at, waited_s=after_s)

    async def sweep_abandoned(self, after_s: float) -> None:
        """Abandon waits whose visitor left over ``after_s`` ago, as no timer did.

        The timers of :meth:`visitor_left` live in one process and die with it;
        this sweep (run periodically by every process) catches what they miss.
        A visitor gone since before this process started, with no record of
        when they left, counts from when they last connected.
        """
        async with self.store.begin() as tx:
            waiting = await tx.conversations_in(("queued",))
            visitors = {c.visitor_id: await tx.visitor(c.visitor_id) for c in waiting}
        now = utcnow()
        for visitor_id, visitor in visitors.items():
            if visitor is None or await self.presence.open_tabs(visitor_id) > 0:
                continue
            left = await self.presence.left_at(visitor_id)
            left_at = (datetime.fromtimestamp(left, UTC) if left is not None
                       else visitor.last_seen_at)
            if (now - left_at).total_seconds() >= after_s:
                await self._abandon(visitor_id, left_at, waited_s=after_s)

    async def _abandon(self, visitor_id: str, left_at: datetime, *, waited_s: float) -> None:
        if await self.presence.open_tabs(visitor_id) > 0:
            return  # a tab is open, maybe on another gateway process
        async with self.store.begin() as tx:
            visitor = await tx.visitor(visitor_id)
            # Any reconnect, on any process, moves last_seen_at past the moment they left.
            if visitor is None or visitor.last_seen_at > left_at:
                return
            conversation = await tx.open_conversation(visitor_id, lock=True)
            if conversation is None or conversation.state != "queued":
                return
            await apply_move(tx, conversation, "abandon", actor="system",
                             data={"waited_s": waited_s})
        await self.presence.forget(visitor_id)
        await self.routing.dequeue(conversation.id)
        await self.notifier.status(conversation, conversation_out(conversation))

    async def csat(self, visitor_id: str, data: CsatIn) -> None:
        """Store the visitor's rating of their latest conversation, once."""
        try:
            async with self.store.begin() as tx:
                conversation = await tx.latest_conversation(visitor_id)
                if conversation is None:
                    raise NotFound("there is no conversation to rate")
                if not rateable(conversation):
                    raise NotFound("only a chat with a person can be rated")
                if await tx.csat(conversation.id) is not None:
                    raise Conflict("this conversation has already been rated")
                comment = self.redact(data.comment) if data.comment else None
                await tx.add_csat(conversation.id, data.score, comment)
        except IntegrityError:
            raise Conflict("this conversation has already been rated") from None

    # -- shared steps -------------------------------------------------------

    async def current_snapshot(self, conversation_id: str) -> dict[str, Any]:
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
        if conversation is None:
            raise NotFound("no such conversation")
        return await self.routing.queue_status(conversation)

    async def _after_move(self, conversation: Conversation, *, in_turn: bool = False) -> None:
        """Tell the visitor, and hand the conversation to (or take it from) the humans.
        ``in_turn``: called from a bot turn, which already holds the turn lock."""
        if conversation.state == "queued":
            # Awaited before anyone hears of the escalation: no agent can take
            # and hand back (nor the visitor go back to the bot) before the
            # pause, so a resume always comes after it, on any process. A task
            # raced them: a pause that ran last left Rasa's tracker paused.
            if self._bot().assistant is None:
                pass  # no dialogue of the bot's own to pause: no turn to wait for
            elif in_turn:
                await self._bot().hold(conversation.id)
            else:
                await self.hold_bot(conversation.id)
            # Routing announces the place in the queue (or the agent who took it).
            await self.routing.escalate(conversation)
            return
        if conversation.state == "bot":
            await self.release_bot(conversation.id)  # the visitor came back from the queue
        await self.notifier.status(conversation, conversation_out(conversation))
        if conversation.state in ("closed", "abandoned", "bot"):
            await self.routing.release(conversation.id)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bot turn failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for bot turns in flight (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Finish bot turns and drop pending abandonment timers (shutdown)."""
        for timer in list(self._timers):
            timer.cancel()
        await asyncio.gather(*list(self._timers), return_exceptions=True)
        await self._writer.stop()
        await self.drain()
