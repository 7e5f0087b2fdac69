"""A whole Rasa assistant as the bot (``TSUNAGU_BOT=rasa``): its REST channel answers.

Where ``TSUNAGU_NLU=rasa`` borrows only Rasa's NLU (``/model/parse``) and
answers with our policy and responses, here Rasa is the dialogue: stories,
rules, slots, forms, custom actions and responses are the assistant's own.
Per visitor message (the conversation id is Rasa's ``sender``):

1. ``POST /webhooks/rest/webhook`` ``{"sender", "message", "metadata"}``:
   Rasa's answers (text, buttons, image, custom payload), in order;
2. ``GET /conversations/{id}/tracker``: the intent and confidence Rasa gave
   the message (its ``user`` event; ``latest_message`` is the same unless a
   fallback reverted it) and the actions it ran, to see a handoff.

A handoff is what Rasa users already write (see :data:`HANDOFF_ACTIONS` and
:func:`handoff_reason`). While a person holds the conversation the gateway
pauses the tracker (``POST /conversations/{id}/tracker/events``
``{"event": "pause"}``) and resumes it when the agent hands back, so Rasa
continues with the same tracker.

``rasa run --enable-api --auth-token TOKEN``: every call carries
``?token=TOKEN``. Plain ``aiohttp``: nothing here knows the gateway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.decision import BotMessage, QuickReply
from bot.engines.rasa import NLU_FALLBACK, prediction_from_rasa, refused, unreachable
from bot.errors import NLUEngineError

log = logging.getLogger(__name__)

#: Actions that hand the conversation to a person when Rasa runs them: a
#: custom action or a response named so (``utter_handoff`` in the README's
#: snippet), and Rasa's own fallback (``action_default_fallback``, what the
#: RulePolicy runs when nothing else is sure).
HANDOFF_ACTIONS = frozenset(
    {"action_handoff", "utter_handoff", "action_human_handoff", "action_default_fallback"}
)
#: Intents that hand over as soon as Rasa recognises them: a visitor asking
#: for a person, and Rasa's FallbackClassifier's "not understood" (but see
#: :func:`handoff_reason` for an assistant that has a rule of its own for it).
HANDOFF_INTENTS = frozenset({"request_human", NLU_FALLBACK})
#: The key of a custom payload that asks for a person: ``{"handoff": true}``
#: (optionally ``"priority": 1`` to go to the front of the queue).
HANDOFF_KEY = "handoff"

# What one answer may carry: a longer text, image URL, payload or custom
# object is a misconfigured assistant, not something to store for ever.
MAX_TEXT = 10_000
MAX_URL = 2_000
MAX_PAYLOAD = 200  # a visitor's message payload (protocol): longer could not be sent back
MAX_CUSTOM_BYTES = 16_384
MAX_BUTTONS = 12


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """What Rasa did with one visitor message.

    ``messages``: its answers, in order (a ``{"handoff": true}`` payload alone
    is a signal, not a message). ``intent``/``confidence``/``ranking``: its
    classification of the message (``nlu_fallback`` reads ``out_of_scope``,
    as everywhere in tsunagu); ``None`` if the tracker has no user event.
    ``handoff``: why the conversation goes to a person (``custom_payload``,
    ``action:NAME``, ``intent:NAME``, ``paused``; ``silent``: a tracker left
    paused said nothing even once resumed), else ``None``.
    ``priority``: the queue priority a custom payload asked for (else 0).
    ``paused``: the tracker was paused after the turn (Rasa then logs the
    message and predicts nothing); ``False`` when the tracker was not read.
    """

    messages: tuple[BotMessage, ...]
    intent: str | None
    confidence: float | None
    ranking: tuple[tuple[str, float], ...]
    handoff: str | None
    priority: int = 0
    paused: bool = False


class RasaAssistant:
    """Client of one Rasa server's REST channel and tracker API.

    ``url``: the server's base URL. ``token``: ``rasa run --auth-token``'s
    token, sent as ``?token=``. ``timeout``: seconds for each HTTP call; a
    server that does not answer in time raises
    :class:`~bot.errors.NLUEngineError`, as does one that cannot be reached.
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"RASA_URL must be an http(s) URL, not {url!r}")
        self.url = url.rstrip("/")
        self.token = token or None
        self.timeout = timeout

    async def turn(
        self, sender: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> AssistantTurn:
        """Send one visitor message to Rasa; its answers and classification."""
        body = {"sender": sender, "message": text, "metadata": dict(metadata or {})}
        answers = await self._call("POST", "/webhooks/rest/webhook", body)
        if not isinstance(answers, list):
            raise NLUEngineError(f"unexpected answer from Rasa's REST channel: {answers!r:.200}")
        try:
            tracker = await self.tracker(sender)
        except NLUEngineError as exc:
            # Rasa has answered (and acted): its answers stand. Only the
            # classification is unknown, which is not an outage of the turn.
            log.warning("Rasa answered but its tracker could not be read; "
                        "the message is stored unclassified: %s", exc)
            tracker = {}
        return read_turn(answers, tracker)

    async def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker (``paused``, ``latest_message``, ``events``...)."""
        tracker = await self._call("GET", f"/conversations/{quote(sender, safe='')}/tracker")
        if not isinstance(tracker, dict):
            raise NLUEngineError(f"unexpected tracker from Rasa: {tracker!r:.200}")
        return tracker

    async def pause(self, sender: str) -> None:
        """Pause the tracker: Rasa predicts nothing for it until :meth:`resume`."""
        await self._event(sender, "pause")

    async def resume(self, sender: str) -> None:
        """Resume a paused tracker: Rasa continues where it stopped."""
        await self._event(sender, "resume")

    async def _event(self, sender: str, event: str) -> None:
        path = f"/conversations/{quote(sender, safe='')}/tracker/events"
        await self._call("POST", path, {"event": event})

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        params = {"token": self.token} if self.token else None
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        where = f"Rasa at {self.url}{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(method, self.url + path, json=body, params=params) as answer,
            ):
                refused(where, answer.status)
                return await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unreachable(where, exc, self.timeout) from None


def read_turn(answers: Sequence[Any], tracker: Mapping[str, Any]) -> AssistantTurn:
    """Map the REST channel's answers and the tracker to an :class:`AssistantTurn`."""
    messages: list[BotMessage] = []
    handoff: str | None = None
    priority = 0
    for answer in answers:
        if not isinstance(answer, Mapping):
            continue
        custom = answer.get("custom")
        if isinstance(custom, Mapping) and custom.get(HANDOFF_KEY) is True:
            handoff = handoff or "custom_payload"
            wanted = custom.get("priority")
            if isinstance(wanted, int) and not isinstance(wanted, bool):
                priority = max(priority, min(max(wanted, 0), 9))
        message = bot_message(answer)
        if message is not None:
            messages.append(message)
    events = [e for e in tracker.get("events") or () if isinstance(e, Mapping)]
    user_at = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    parse_data: Mapping[str, Any] | None = None
    after: list[Mapping[str, Any]] = []
    previous_intent = None
    if user_at is not None:
        parse_data = events[user_at].get("parse_data")
        after = events[user_at + 1 :]
        previous_intent = _intent_name(next(
            (e for e in reversed(events[:user_at]) if e.get("event") == "user"), None))
    elif isinstance(tracker.get("latest_message"), Mapping):
        parse_data = tracker["latest_message"]
    intent = confidence = None
    ranking: tuple[tuple[str, float], ...] = ()
    raw_intent = None
    if isinstance(parse_data, Mapping) and isinstance(parse_data.get("intent"), Mapping):
        raw_intent = parse_data["intent"].get("name")
        try:
            prediction = prediction_from_rasa(parse_data, threshold=0.0, ranking_size=3)
        except NLUEngineError:
            prediction = None
        if prediction is not None and raw_intent:
            intent, confidence, ranking = (
                prediction.intent, round(prediction.confidence, 4),
                tuple((n, round(c, 4)) for n, c in prediction.ranking),
            )
    handoff = handoff or handoff_reason(raw_intent, after, previous_intent)
    if handoff == f"intent:{NLU_FALLBACK}":
        # What Rasa said to a message it did not understand is a guess or a
        # "please rephrase": neither belongs before a person takes over.
        messages = []
    return AssistantTurn(tuple(messages), intent, confidence, ranking, handoff, priority,
                         paused=tracker.get("paused") is True)


def handoff_reason(
    intent: str | None,
    events_after: Sequence[Mapping[str, Any]],
    previous_intent: str | None = None,
) -> str | None:
    """Why Rasa's turn hands the conversation to a person, or ``None``.

    ``intent``: Rasa's intent of the message (``request_human`` or
    ``nlu_fallback``); ``events_after``: the tracker's events after it, whose
    actions may be one of :data:`HANDOFF_ACTIONS` and where a ``pause`` means
    a custom action paused the conversation itself (Rasa's
    ``ConversationPaused``), the handoff of Rasa's own docs.
    ``previous_intent``: Rasa's intent of the visitor's message before.

    ``nlu_fallback`` answered by a rule of the assistant's own (Rasa's
    documented "please rephrase" rule) keeps that answer the first time;
    a second ``nlu_fallback`` in a row hands over. An assistant without such a
    rule hands over at once: what its stories would predict for a message it
    did not understand is a guess.
    """
    actions = [e for e in events_after if e.get("event") == "action"]
    for action in actions:
        if action.get("name") in HANDOFF_ACTIONS:
            return f"action:{action.get('name')}"
    if intent == NLU_FALLBACK and previous_intent != NLU_FALLBACK and any(
        "RulePolicy" in str(a.get("policy") or "") and a.get("name") != "action_listen"
        for a in actions
    ):
        return None
    if intent in HANDOFF_INTENTS:
        return f"intent:{intent}"
    if any(e.get("event") == "pause" for e in events_after):
        return "paused"
    return None


def _intent_name(event: Mapping[str, Any] | None) -> str | None:
    """The intent name of a tracker ``user`` event, if it has one."""
    parse_data = event.get("parse_data") if event else None
    intent = parse_data.get("intent") if isinstance(parse_data, Mapping) else None
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return name if isinstance(name, str) else None


def bot_message(answer: Mapping[str, Any]) -> BotMessage | None:
    """One REST-channel answer as a :class:`BotMessage`; ``None`` if it shows nothing.

    ``buttons`` (or ``quick_replies``) become quick replies (a button without
    a payload sends its title); an ``image`` must be an http(s) URL; a
    ``custom`` object is passed on unless it only says ``handoff``. What is
    malformed or too long is dropped with a warning, never stored.
    """
    text = answer.get("text")
    text = text[:MAX_TEXT] if isinstance(text, str) else ""
    buttons = answer.get("buttons") or answer.get("quick_replies") or []
    replies: list[QuickReply] = []
    for button in buttons if isinstance(buttons, list) else ():
        if not isinstance(button, Mapping) or not isinstance(button.get("title"), str):
            log.warning("Rasa button without a title dropped: %r", button)
            continue
        title = button["title"][:MAX_PAYLOAD]
        payload = button.get("payload")
        payload = payload if isinstance(payload, str) and payload else title
        if len(payload) > MAX_PAYLOAD:
            log.warning("Rasa button %r dropped: its payload is over %d characters",
                        title, MAX_PAYLOAD)
            continue
        replies.append(QuickReply(title, payload))
    image = answer.get("image")
    if image is not None and not (
        isinstance(image, str) and image.startswith(("http://", "https://"))
        and len(image) <= MAX_URL
    ):
        log.warning("Rasa image dropped: not an http(s) URL of at most %d characters", MAX_URL)
        image = None
    custom = answer.get("custom")
    if not isinstance(custom, Mapping) or set(custom) <= {HANDOFF_KEY, "priority"}:
        custom = None
    elif len(json.dumps(custom, ensure_ascii=False, default=str)) > MAX_CUSTOM_BYTES:
        log.warning("Rasa custom payload dropped: over %d bytes", MAX_CUSTOM_BYTES)
        custom = None
    if not text and not image and custom is None and not replies:
        return None
    return BotMessage(text, tuple(replies[:MAX_BUTTONS]), image,
                      json.loads(json.dumps(custom, default=str)) if custom else None)
