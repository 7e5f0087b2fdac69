"""The dialogue policy: given what the visitor said and the stored state, decide.

Confidence bands (the confidence is the engine's calibrated probability):

* at or above ``answer_threshold``: sure enough to answer;
* between the engine's out-of-scope threshold and ``answer_threshold``: the
  bot asks instead of guessing (clarify: the likeliest topics as buttons,
  plus "something else");
* below the out-of-scope threshold (the engine says ``out_of_scope``): a
  fallback.

Rules, in order:

1. A clicked quick reply is taken at its word: ``/request_human`` escalates,
   ``/feedback:yes|no`` answers "did it help?", ``/intent:NAME`` is the intent
   NAME with confidence 1, ``/something_else`` (none of the offered topics)
   is a fallback that offers a person.
2. While the bot waits for "did it help?", an ``affirm`` (or ``thanks``)
   marks the conversation resolved and a ``deny`` offers a person.
3. ``request_human`` escalates (priority 0); ``complaint`` escalates with
   priority 1 and an apology, but only at or above ``answer_threshold``: a
   doubtful complaint is clarified like any other doubtful question.
4. Out of scope: a fallback with suggested topics and a "talk to a person"
   button; the second fallback in a row escalates instead.
5. Below ``answer_threshold`` (small talk aside): clarify with the two or
   three likeliest answerable topics and "something else"; a fallback when
   the ranking has no answerable topic.
6. When the two best intents are close, ask which one (clarify).
7. Otherwise answer with the intent's response and, for a support question,
   ask whether it helped.

Response texts may name site facts (``{shipping_fee}``): they are filled in
from :attr:`Policy.facts` (see :mod:`bot.site_facts`).

Everything the policy needs to remember lives in :class:`DialogueState`, which
travels to the gateway and back as a plain JSON dict (``Decision.state``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.decision import Action, Decision, QuickReply
from bot.nlu import OUT_OF_SCOPE, Prediction
from bot.responses import Response, ResponseCatalog
from bot.site_facts import render

REQUEST_HUMAN_PAYLOAD = "/request_human"
FEEDBACK_YES_PAYLOAD = "/feedback:yes"
FEEDBACK_NO_PAYLOAD = "/feedback:no"
INTENT_PAYLOAD_PREFIX = "/intent:"
#: "None of these topics" under a clarification: a fallback offering a person.
SOMETHING_ELSE_PAYLOAD = "/something_else"
#: Button titles and text used when the training data has none of its own
#: (data written before these existed).
_SOMETHING_ELSE_TITLES = {"ja": "その他", "en": "Something else"}
_SOMETHING_ELSE_TEXTS = {
    "ja": "お探しの内容が見つからず申し訳ありません。"
    "別の言い方で教えていただくか、担当者にお尋ねください。",
    "en": "Sorry I couldn't find it. Could you put it in other words, or talk to a person?",
}

#: Small talk: answered, but never followed by "did it help?", never offered
#: as a topic, never a reason to clarify.
CHITCHAT = frozenset({"greet", "goodbye", "thanks", "affirm", "deny"})
#: Intents that hand the conversation to a person instead of answering.
ESCALATING = frozenset({"request_human", "complaint"})
#: Suggested in a fallback when the ranking has nothing better to offer.
DEFAULT_TOPICS = ("order_status", "return_exchange", "login_problem")

#: Intents of the engine's ranking carried on a decision (``Decision.ranking``).
RANKING_SIZE = 3

_STATE_VERSION = 1


@dataclass(frozen=True)
class PolicyConfig:
    """Tunable behaviour of the policy.

    ``answer_threshold``: the least confidence the bot answers with (or
    escalates a complaint with); below it, and above the engine's
    out-of-scope threshold, it asks which topic it is. ``clarify_topics``:
    topics offered in such a clarification (at most).
    ``clarify_margin``: clarify when the second intent's confidence is within
    this distance of the first. ``clarify_min``: ...and the second has at least
    this confidence (so a 0.55/0.45 split clarifies, 0.55/0.05 does not).
    ``fallbacks_before_escalation``: fallbacks in a row that escalate.
    ``suggestions``: topics offered in a fallback. ``suggestion_min``: the
    least confidence for a ranked intent to be suggested.
    """

    answer_threshold: float = 0.7
    clarify_topics: int = 3
    clarify_margin: float = 0.2
    clarify_min: float = 0.2
    fallbacks_before_escalation: int = 2
    suggestions: int = 3
    suggestion_min: float = 0.02


@dataclass(frozen=True)
class DialogueState:
    """What the bot remembers between two messages of one conversation.

    ``language``: the language of the last answer. ``fallbacks``: fallbacks
    in a row. ``awaiting_feedback``: the intent just answered, while the bot
    waits for "did it help?". ``last_intent``: the last classified intent.
    """

    language: str | None = None
    fallbacks: int = 0
    awaiting_feedback: str | None = None
    last_intent: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> DialogueState:
        """Read a state dict stored by the gateway; unknown or bad values are ignored."""
        if not raw:
            return cls()
        fallbacks = raw.get("fallbacks", 0)
        return cls(
            language=_str_or_none(raw.get("language")),
            fallbacks=fallbacks if isinstance(fallbacks, int) and fallbacks >= 0 else 0,
            awaiting_feedback=_str_or_none(raw.get("awaiting_feedback")),
            last_intent=_str_or_none(raw.get("last_intent")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": _STATE_VERSION,
            "language": self.language,
            "fallbacks": self.fallbacks,
            "awaiting_feedback": self.awaiting_feedback,
            "last_intent": self.last_intent,
        }


class Policy:
    """Turns a prediction (or a clicked payload) and the state into a :class:`Decision`."""

    def __init__(
        self,
        responses: ResponseCatalog,
        config: PolicyConfig | None = None,
        facts: Mapping[str, str] | None = None,
    ) -> None:
        """``responses``: the answers; ``config``: the tunables; ``facts``: the site
        facts response texts may name (``{shipping_fee}``), plain text by name."""
        self.responses = responses
        self.config = config or PolicyConfig()
        self.facts: Mapping[str, str] = dict(facts or {})

    @staticmethod
    def prediction_from_payload(payload: str | None) -> Prediction | None:
        """The certain prediction a quick-reply payload stands for, if it stands for one."""
        if not payload:
            return None
        if payload == REQUEST_HUMAN_PAYLOAD:
            return Prediction("request_human", 1.0, (("request_human", 1.0),))
        if payload == FEEDBACK_YES_PAYLOAD:
            return Prediction("affirm", 1.0, (("affirm", 1.0),))
        if payload == FEEDBACK_NO_PAYLOAD:
            return Prediction("deny", 1.0, (("deny", 1.0),))
        if payload == SOMETHING_ELSE_PAYLOAD:
            return Prediction(OUT_OF_SCOPE, 1.0, ())
        if payload.startswith(INTENT_PAYLOAD_PREFIX):
            intent = payload[len(INTENT_PAYLOAD_PREFIX) :].strip()
            if intent:
                return Prediction(intent, 1.0, ((intent, 1.0),))
        return None

    def decide(
        self,
        prediction: Prediction,
        language: str,
        state: DialogueState,
        *,
        payload: str | None = None,
    ) -> Decision:
        """Decide the answer to a message classified as ``prediction``.

        ``language`` is the language to answer in; ``state`` the stored state;
        ``payload`` the clicked quick reply, if any (a "did it help?" button
        counts as feedback even if the state was lost).
        """
        intent = prediction.intent
        base = DialogueState(language=language, last_intent=intent)
        # 2. The answer to "did it help?".
        awaiting = state.awaiting_feedback is not None or payload in (
            FEEDBACK_YES_PAYLOAD,
            FEEDBACK_NO_PAYLOAD,
        )
        if awaiting and intent in ("affirm", "thanks"):
            return self._reply("utter_feedback_yes", prediction, language, base, resolved=True)
        if awaiting and intent == "deny":
            return self._reply("utter_feedback_no", prediction, language, base)
        # 3. A person is wanted.
        if intent == "request_human":
            return self._escalate("utter_request_human", prediction, language, base, priority=0)
        sure = prediction.confidence >= self.config.answer_threshold
        if intent == "complaint" and sure:
            return self._escalate("utter_complaint", prediction, language, base, priority=1)
        # 1. None of the offered topics.
        if payload == SOMETHING_ELSE_PAYLOAD:
            return self._something_else(prediction, language, state, base)
        # 4. Not understood.
        if intent == OUT_OF_SCOPE:
            return self._fallback(prediction, language, state, base)
        # 5. Not sure enough to answer: ask rather than guess.
        if not sure and intent not in CHITCHAT:
            topics = self._likely_topics(prediction)
            if not topics:
                return self._fallback(prediction, language, state, base)
            return self._clarify(prediction, topics, language, state)
        # 6. Two close candidates.
        runner_up = self._close_runner_up(prediction)
        if runner_up is not None:
            return self._clarify(prediction, [intent, runner_up], language, state)
        # 7. Answer.
        return self._answer(prediction, language, base)

    # -- the actions --------------------------------------------------------------

    def _answer(self, prediction: Prediction, language: str, base: DialogueState) -> Decision:
        intent = prediction.intent
        response = self.responses.for_intent(intent, language)
        if response is None:
            # An intent without a written answer (a new intent whose responses
            # are missing): better a person than silence.
            return self._escalate("utter_request_human", prediction, language, base, priority=0)
        response = self._filled(response)
        if intent in CHITCHAT:
            return _decision(Action.ANSWER, response, prediction, base)
        ask = self.responses.get("utter_ask_helped", language)
        if ask is not None:
            response = Response(
                f"{response.text}\n\n{ask.text}", response.quick_replies + ask.quick_replies
            )
        state = DialogueState(language, 0, intent, intent)
        return _decision(Action.ANSWER, response, prediction, state)

    def _reply(
        self,
        name: str,
        prediction: Prediction,
        language: str,
        base: DialogueState,
        *,
        resolved: bool = False,
    ) -> Decision:
        response = self._filled(self.responses.get(name, language) or Response(""))
        return _decision(Action.ANSWER, response, prediction, base, resolved=resolved)

    def _escalate(
        self,
        name: str,
        prediction: Prediction,
        language: str,
        base: DialogueState,
        *,
        priority: int,
    ) -> Decision:
        response = self._filled(self.responses.get(name, language) or Response(""))
        return _decision(
            Action.ESCALATE, Response(response.text), prediction, base, priority=priority
        )

    def _fallback(
        self, prediction: Prediction, language: str, state: DialogueState, base: DialogueState
    ) -> Decision:
        fallbacks = state.fallbacks + 1
        if fallbacks >= self.config.fallbacks_before_escalation:
            return self._escalate("utter_fallback_escalate", prediction, language, base, priority=0)
        topics = [
            name
            for name, confidence in prediction.ranking
            if confidence >= self.config.suggestion_min and self._suggestable(name)
        ]
        for name in DEFAULT_TOPICS:
            if name not in topics:
                topics.append(name)
        buttons = (
            *self._intent_buttons(topics[: self.config.suggestions], language),
            self._person_button(language),
        )
        text = self._text("utter_fallback", language)
        new_state = DialogueState(language, fallbacks, None, OUT_OF_SCOPE)
        return _decision(Action.FALLBACK, Response(text, buttons), prediction, new_state)

    def _something_else(
        self, prediction: Prediction, language: str, state: DialogueState, base: DialogueState
    ) -> Decision:
        """None of the offered topics: say so and offer a person (counts as a fallback)."""
        fallbacks = state.fallbacks + 1
        if fallbacks >= self.config.fallbacks_before_escalation:
            return self._escalate("utter_fallback_escalate", prediction, language, base, priority=0)
        text = self._text("utter_something_else", language) or _SOMETHING_ELSE_TEXTS.get(
            language, _SOMETHING_ELSE_TEXTS["en"]
        )
        new_state = DialogueState(language, fallbacks, None, OUT_OF_SCOPE)
        response = Response(text, (self._person_button(language),))
        return _decision(Action.FALLBACK, response, prediction, new_state)

    def _clarify(
        self, prediction: Prediction, topics: list[str], language: str, state: DialogueState
    ) -> Decision:
        """Ask which of ``topics`` it is; the last button is "something else"."""
        buttons = (
            *self._intent_buttons(topics, language),
            QuickReply(self._something_else_title(language), SOMETHING_ELSE_PAYLOAD),
        )
        text = self._text("utter_clarify", language)
        # Clarifying is neither an answer nor a failure: the fallback count
        # carries over unchanged.
        new_state = DialogueState(language, state.fallbacks, None, prediction.intent)
        return _decision(Action.CLARIFY, Response(text, buttons), prediction, new_state)

    # -- helpers --------------------------------------------------------------------

    def _close_runner_up(self, prediction: Prediction) -> str | None:
        if prediction.intent in CHITCHAT or len(prediction.ranking) < 2:
            return None
        (_, first), (second_name, second) = prediction.ranking[0], prediction.ranking[1]
        if (
            second >= self.config.clarify_min
            and first - second <= self.config.clarify_margin
            and self._suggestable(second_name)
        ):
            return second_name
        return None

    def _suggestable(self, intent: str) -> bool:
        return (
            intent not in CHITCHAT
            and intent not in ESCALATING
            and intent != OUT_OF_SCOPE
            and self.responses.for_intent(intent, "en") is not None
        )

    def _likely_topics(self, prediction: Prediction) -> list[str]:
        """The ranking's answerable intents worth offering, best first (at most
        ``clarify_topics``): never small talk, a person or a complaint."""
        ranking = prediction.ranking or ((prediction.intent, prediction.confidence),)
        return [
            name
            for name, confidence in ranking
            if confidence >= self.config.suggestion_min and self._suggestable(name)
        ][: self.config.clarify_topics]

    def _intent_buttons(self, intents: list[str], language: str) -> tuple[QuickReply, ...]:
        return tuple(
            QuickReply(self.responses.label(name, language), INTENT_PAYLOAD_PREFIX + name)
            for name in intents
        )

    def _person_button(self, language: str) -> QuickReply:
        return QuickReply(self.responses.label("request_human", language), REQUEST_HUMAN_PAYLOAD)

    def _something_else_title(self, language: str) -> str:
        return self.responses.defined_label("something_else", language) or (
            _SOMETHING_ELSE_TITLES.get(language, _SOMETHING_ELSE_TITLES["en"])
        )

    def _text(self, name: str, language: str) -> str:
        response = self.responses.get(name, language)
        return render(response.text, self.facts) if response is not None else ""

    def _filled(self, response: Response) -> Response:
        """``response`` with the site facts its text names filled in."""
        return Response(render(response.text, self.facts), response.quick_replies)


def _decision(
    action: Action,
    response: Response,
    prediction: Prediction,
    state: DialogueState,
    *,
    priority: int = 0,
    resolved: bool = False,
) -> Decision:
    return Decision(
        action=action,
        text=response.text,
        quick_replies=response.quick_replies,
        intent=prediction.intent,
        confidence=round(prediction.confidence, 4),
        ranking=tuple((name, round(conf, 4)) for name, conf in prediction.ranking[:RANKING_SIZE]),
        priority=priority,
        resolved=resolved,
        state=state.to_dict(),
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
