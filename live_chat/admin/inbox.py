"""The unmatched inbox: visitor messages the bot did not handle well, grouped by similarity.

A typed visitor message (never a quick-reply click) with real text is a
candidate for one or more of these reasons (stable codes, see
``docs/admin.md``); the example shows the first that applies, in this order:

``flagged``
    an agent flagged it ("the bot should have answered this").
``clarified``
    the visitor's next message was a click on ``/intent:NAME`` offered by a
    clarification or a fallback (not a related-topic button under an
    answer): NAME is what they meant.
``agent_resolved``
    the first question of a conversation an agent closed (greetings and a
    sure "I want a person" before it are skipped); the conversation's
    ``resolution``, when it names a known intent, is what it was.
``not_helped``
    the bot answered it and the visitor said no: ``/feedback:no``, or a
    typed "no" (intent ``deny``).
``escalated``
    the last message the bot classified before the conversation went to the
    human queue, unless it was itself a sure request for a person (or a
    complaint): then the one before.
``out_of_scope``
    the bot fell back on it, or asked which topic it was and the visitor
    chose "something else" (``/something_else``).
``low_confidence``
    its stored confidence is below ``low_confidence``.

Messages made into examples (``BotExample.message_id``) or ignored
(``InboxDismissal``) leave the inbox. A message stored while the NLU engine
was down (intent ``nlu_unavailable``) is never a candidate, for any reason:
the bot did not get to try. When it is the first question of an agent-closed
conversation, or the last one before an escalation, no other message is
taken in its place: the outage, not an earlier message, sent it to a person.

Each message also gets a suggested intent, the first of: the intent agents
named when flagging it (the most named), the clicked clarification, the
agent's resolution, the current model's best guess among answerable intents
(only when it is at least ``low_confidence`` sure, and never the answer the
visitor just said did not help). A group suggests the intent a strict
majority of its suggesting messages agree on, else ``null``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import Bot
from bot.errors import NLUEngineError
from bot.grouping import MAX_TEXTS, group_similar
from bot.language import SUPPORTED, detect_language
from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE, Prediction
from bot.policy import (
    CHITCHAT,
    ESCALATING,
    FEEDBACK_NO_PAYLOAD,
    INTENT_PAYLOAD_PREFIX,
    SOMETHING_ELSE_PAYLOAD,
)
from live_chat.admin import audit
from live_chat.admin.catalog import INTENT_NAME
from live_chat.agent_desk import SUPERVISING_ROLES
from live_chat.errors import Forbidden, InvalidPayload, NotFound
from live_chat.store.inbox import Escalation, Flag, InboxRecords, TypedMessage
from live_chat.store.models import Agent, utcnow
from live_chat.store.repository import Store

log = logging.getLogger(__name__)

#: The reasons, strongest signal first: an example shows the first that applies.
REASONS = ("flagged", "clarified", "agent_resolved", "not_helped", "escalated",
           "out_of_scope", "low_confidence")
#: Guesses of the current model shown per group.
GUESSES = 3
# A chitchat or "I want a person" classification at least this sure is taken
# as what the message was (a greeting, the request itself), so the question
# is looked for around it. A doubtful one may be a question the model
# mistook: ギフト包装をお願いできますか was request_human at 0.57.
_SURE = 0.8
# Intent names as docs/admin.md defines them.
_INTENT_NAME = re.compile(INTENT_NAME)
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class _Candidate:
    """One message of the inbox while its reasons and suggestion are worked out."""

    row: TypedMessage
    locale: str
    reasons: set[str] = field(default_factory=set)
    flag_intents: list[str] = field(default_factory=list)
    clicked: str | None = None
    resolution: str | None = None
    # The intent the visitor said did not help: never suggested back.
    rejected: str | None = None

    @property
    def reason(self) -> str:
        return next(r for r in REASONS if r in self.reasons)


class Inbox:
    """The unmatched inbox over the record.

    ``store``: the record. ``bot``: returns the bot serving now (its model
    makes the groups' guesses). ``low_confidence``: a stored confidence below
    this makes a message a candidate; a model guess below it is not suggested.
    """

    def __init__(self, store: Store, bot: Callable[[], Bot], *,
                 low_confidence: float = 0.5) -> None:
        self.store = store
        self.bot = bot
        self.low_confidence = low_confidence

    # -- reading ------------------------------------------------------------------------

    async def groups(self, *, days: int = 30, locale: str | None = None) -> list[dict[str, Any]]:
        """The candidates of the last ``days`` days, grouped, largest group first.

        ``locale``: only messages written in this language (``"ja"``/``"en"``,
        as detected from the text); ``None`` for all. The most recent
        :data:`~live_chat.store.inbox.ROW_LIMIT` typed messages of the period
        are looked at, and the most recent :data:`~bot.grouping.MAX_TEXTS`
        candidates among them grouped. Returns Group dicts of ``docs/admin.md``.
        """
        since = utcnow() - timedelta(days=days)
        async with self.store.begin() as tx:
            records = InboxRecords(tx.session)
            rows = await records.typed_messages(since)
            escalations = await records.escalations(since)
            flags = await records.flags(since)
            intents = await records.intent_names()
        candidates = self._candidates(rows, escalations, flags)
        if locale is not None:
            candidates = [c for c in candidates if c.locale == locale]
        candidates = candidates[:MAX_TEXTS]  # newest first
        if not candidates:
            return []
        bot = self.bot()
        known = self._known_intents(bot, intents)
        # Clustering and classifying thousands of texts is CPU work (and an
        # HTTP call per text with Rasa): keep it off the event loop.
        clusters, predictions = await asyncio.to_thread(
            _analyse, bot, [c.row.text for c in candidates])
        groups = [self._group([candidates[i] for i in members],
                              [predictions[i] for i in members], known)
                  for members in clusters]
        # Largest first; of equal size, the most recently asked first.
        groups.sort(key=lambda g: (-g["size"], -datetime.fromisoformat(g["last_seen"]).timestamp(),
                                   g["id"]))
        return groups

    def _candidates(self, rows: Sequence[TypedMessage], escalations: Sequence[Escalation],
                    flags: Sequence[Flag]) -> list[_Candidate]:
        """Every row with at least one reason and not labelled or ignored, newest first."""
        # Outage messages stay in by_conversation: they still end the searches of
        # _first_question and _before_escalation, whose result is then no candidate.
        found = {row.id: _Candidate(row, detect_language(row.text, row.conversation_locale))
                 for row in rows if _has_words(row.text) and row.intent != NLU_UNAVAILABLE}
        by_conversation: dict[str, list[TypedMessage]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: r.seq):
            by_conversation[row.conversation_id].append(row)

        def mark(row: TypedMessage | None, reason: str) -> _Candidate | None:
            candidate = found.get(row.id) if row is not None else None
            if candidate is not None:
                candidate.reasons.add(reason)
            return candidate

        for row in rows:
            # The bot's reply to this message, when it came before the visitor's next one.
            replied = row.reply_seq is not None and (row.next_seq is None
                                                     or row.reply_seq < row.next_seq)
            offered = row.reply_payloads if replied else ()
            # An answer asks "did it help?"; a clarification or fallback does not.
            answered = FEEDBACK_NO_PAYLOAD in offered
            # The bot fell back, or it asked and the visitor said "something else".
            if row.intent == OUT_OF_SCOPE or (row.next_payload == SOMETHING_ELSE_PAYLOAD
                                              and row.next_payload in offered):
                mark(row, "out_of_scope")
            if row.confidence is not None and row.confidence < self.low_confidence:
                mark(row, "low_confidence")
            clicked = _clicked_intent(row.next_payload)
            if clicked is not None and row.next_payload in offered and not answered:
                candidate = mark(row, "clarified")
                if candidate is not None:
                    candidate.clicked = clicked
            said_no = row.next_payload == FEEDBACK_NO_PAYLOAD or (
                row.next_payload is None and row.next_intent == "deny")
            if answered and said_no:
                candidate = mark(row, "not_helped")
                if candidate is not None:
                    candidate.rejected = row.intent
            if row.first_typed and row.closed_by_agent:
                candidate = mark(self._first_question(by_conversation[row.conversation_id]),
                                 "agent_resolved")
                if candidate is not None:
                    candidate.resolution = row.resolution
        for conversation_id, events in _by_conversation(escalations).items():
            messages = by_conversation.get(conversation_id, [])
            previous: datetime | None = None
            for event in events:
                mark(self._before_escalation(messages, previous, event.at), "escalated")
                previous = event.at
        for flag in flags:
            candidate = found.get(flag.message_id)
            if candidate is not None:
                candidate.reasons.add("flagged")
                if flag.intent:
                    candidate.flag_intents.append(flag.intent)
        return [c for c in found.values()
                if c.reasons and not c.row.labelled and not c.row.dismissed]

    def _first_question(self, messages: Sequence[TypedMessage]) -> TypedMessage | None:
        """The conversation's first typed message that is not a greeting or a sure request
        for a person; ``messages`` are its typed messages by ``seq``."""
        started = False
        for message in messages:
            started = started or message.first_typed
            if started and _has_words(message.text) and not self._sure_of(
                message, CHITCHAT | {"request_human"}
            ):
                return message
        return None

    def _before_escalation(self, messages: Sequence[TypedMessage], after: datetime | None,
                           at: datetime) -> TypedMessage | None:
        """The last message the bot classified before ``at`` (and after the previous
        escalation ``after``), skipping the request for a person itself."""
        for message in reversed(messages):
            if message.created_at > at or message.intent is None:
                continue
            if after is not None and message.created_at <= after:
                return None
            if _has_words(message.text) and not self._sure_of(message, ESCALATING):
                return message
        return None

    def _sure_of(self, message: TypedMessage, intents: frozenset[str] | set[str]) -> bool:
        return message.intent in intents and (message.confidence or 0.0) >= _SURE

    # -- one group ----------------------------------------------------------------------

    def _group(self, members: Sequence[_Candidate], predictions: Sequence[Prediction | None],
               known: Callable[[str], bool]) -> dict[str, Any]:
        votes: Counter[str] = Counter()
        for candidate, prediction in zip(members, predictions, strict=True):
            suggestion = self._suggestion(candidate, prediction, known)
            if suggestion is not None:
                votes[suggestion] += 1
        suggested = None
        if votes:
            best, count = votes.most_common(1)[0]
            if count * 2 > sum(votes.values()):
                suggested = best
        ids = sorted(c.row.id for c in members)
        times = [c.row.created_at for c in members]
        locales = dict.fromkeys(SUPPORTED, 0)
        for candidate in members:
            locales[candidate.locale] = locales.get(candidate.locale, 0) + 1
        newest_first = sorted(members, key=lambda c: (c.row.created_at, c.row.id), reverse=True)
        return {
            "id": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16],
            "size": len(members),
            "suggested_intent": suggested,
            "locales": locales,
            "first_seen": min(times).isoformat(),
            "last_seen": max(times).isoformat(),
            "guesses": _guesses(predictions, len(members)),
            "examples": [_example_out(c) for c in newest_first],
        }

    def _suggestion(self, candidate: _Candidate, prediction: Prediction | None,
                    known: Callable[[str], bool]) -> str | None:
        if candidate.flag_intents:
            # Flags come newest first: on a tie the latest agent's word wins.
            return Counter(candidate.flag_intents).most_common(1)[0][0]
        if candidate.clicked is not None and known(candidate.clicked):
            return candidate.clicked
        if candidate.resolution is not None and known(candidate.resolution):
            return candidate.resolution
        if prediction is None:
            return None
        for intent, confidence in _in_scope(prediction):
            if confidence < self.low_confidence:
                return None
            if intent != candidate.rejected and _answerable(intent):
                return intent
        return None

    @staticmethod
    def _known_intents(bot: Bot, recorded: set[str]) -> Callable[[str], bool]:
        """Whether a name is an intent: in the record's training data, the serving
        model's classes, or one the bot has an answer for."""
        classes = set(getattr(bot.classifier, "classes", ()) or ())
        responses = bot.policy.responses

        def known(name: str) -> bool:
            return (name in recorded or name in classes
                    or responses.for_intent(name, "en") is not None)

        return known

    # -- changing -----------------------------------------------------------------------

    async def ignore(self, message_ids: list[str], actor: Agent) -> int:
        """Take visitor messages out of the inbox without labelling them.

        ``message_ids``: the messages (unknown ids and non-visitor messages
        are skipped); ``actor``: the admin, named in the audit entry written
        in the same transaction. Returns how many were not ignored before.
        """
        wanted = list(dict.fromkeys(i for i in message_ids if _MESSAGE_ID.match(i)))
        async with self.store.begin() as tx:
            records = InboxRecords(tx.session)
            messages = {m.id: m for m in await records.visitor_messages(wanted)}
            added = await records.dismiss([i for i in wanted if i in messages], actor.id)
            if added:
                ordered = [i for i in wanted if i in added]
                await audit.record(tx.session, actor, "inbox.ignore", "inbox", after={
                    "message_ids": ordered,
                    "texts": [messages[i].text[:200] for i in ordered],
                })
        return len(added)

    async def flag(self, message_id: str, agent: Agent, intent: str | None) -> None:
        """``agent`` says the bot should have answered the visitor message ``message_id``.

        ``intent``: the intent they think it was, if they say. Any agent may
        flag messages of conversations they hold or held; supervisors and
        admins any message. Raises ``NotFound`` for an unknown or
        non-visitor message, ``Forbidden`` for someone else's conversation,
        ``InvalidPayload`` for a click or a malformed intent name. Flagging
        the same message twice is a no-op (the first flag stays).
        """
        if intent is not None and not _INTENT_NAME.match(intent):
            raise InvalidPayload("an intent name is lower case letters, digits and _")
        async with self.store.begin() as tx:
            records = InboxRecords(tx.session)
            message = await records.message(message_id) if _MESSAGE_ID.match(message_id) else None
            if message is None or message.sender != "visitor":
                raise NotFound("no such visitor message")
            if agent.role not in SUPERVISING_ROLES and not await records.agent_held(
                message.conversation_id, agent.id
            ):
                raise Forbidden("you can flag messages of conversations you hold or held")
            if message.payload is not None:
                raise InvalidPayload("that was a button click; flag what the visitor typed")
            await records.add_flag(message.id, agent.id, intent)


# -- pure helpers --------------------------------------------------------------------------


def _analyse(bot: Bot, texts: list[str]) -> tuple[list[list[int]], list[Prediction | None]]:
    """Groups of ``texts`` and the serving model's prediction of each (None if unavailable)."""
    clusters = group_similar(texts)
    predictions: list[Prediction | None] = []
    for text in texts:
        try:
            predictions.append(bot.parse(text))
        except NLUEngineError as exc:
            # A remote engine that is down would fail every text in turn,
            # each after its timeout: show the groups without guesses instead.
            log.warning("no guesses for the inbox, the NLU engine failed: %s", exc)
            predictions.extend([None] * (len(texts) - len(predictions)))
            break
    return clusters, predictions


def _in_scope(prediction: Prediction) -> list[tuple[str, float]]:
    """The prediction's ranking without ``out_of_scope``, best first."""
    ranking = prediction.ranking or ((prediction.intent, prediction.confidence),)
    return [(name, conf) for name, conf in ranking if name != OUT_OF_SCOPE]


def _guesses(predictions: Sequence[Prediction | None], size: int) -> list[dict[str, Any]]:
    """The in-scope intents with the highest mean confidence over the group's texts."""
    totals: Counter[str] = Counter()
    for prediction in predictions:
        if prediction is not None:
            for intent, confidence in _in_scope(prediction):
                totals[intent] += confidence
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:GUESSES]
    return [{"intent": intent, "confidence": round(total / size, 4)}
            for intent, total in ranked if total > 0]


def _answerable(intent: str) -> bool:
    # A question the bot should answer is never "hello" or "a person, please".
    return intent != OUT_OF_SCOPE and intent not in CHITCHAT and intent not in ESCALATING


def _clicked_intent(payload: str | None) -> str | None:
    if payload is None or not payload.startswith(INTENT_PAYLOAD_PREFIX):
        return None
    name = payload[len(INTENT_PAYLOAD_PREFIX):].strip()
    return name if _INTENT_NAME.match(name) else None


def _has_words(text: str) -> bool:
    """Real text: at least one letter or digit (any script), not just "?" or an emoji."""
    return any(ch.isalnum() for ch in text)


def _by_conversation(escalations: Sequence[Escalation]) -> dict[str, list[Escalation]]:
    grouped: dict[str, list[Escalation]] = defaultdict(list)
    for event in sorted(escalations, key=lambda e: e.at):
        grouped[event.conversation_id].append(event)
    return grouped


def _example_out(candidate: _Candidate) -> dict[str, Any]:
    row = candidate.row
    return {
        "message_id": row.id,
        "text": row.text,
        "locale": candidate.locale,
        "intent": row.intent,
        "confidence": row.confidence,
        "reason": candidate.reason,
        "ts": row.created_at.isoformat(),
        "conversation_id": row.conversation_id,
    }
