"""The bot as the gateway sees it: text in, :class:`~bot.decision.Decision` out.

Typical use in the gateway::

    bot = Bot.load_or_train(models_dir, training_dir)     # once, at start
    decision = bot.respond(text, payload=None, locale="ja", state=stored_state)
    ...
    bot = bot.reload(models_dir)    # when told a new model was trained: returns
                                    # a new Bot to swap in (or ``bot`` itself
                                    # when the active version did not change)

A :class:`Bot` is immutable once built, so swapping the reference is the whole
hot-reload: messages in flight finish with the old model.

Engines: the built-in one (default) classifies in-process in about 0.1 ms,
so :meth:`Bot.respond` is safe on the event loop. With ``TSUNAGU_NLU=rasa``
the classification is an HTTP call to a Rasa server: :meth:`Bot.respond`
then *blocks* (urllib, ``RASA_TIMEOUT`` seconds at most) and the gateway must
use ``await bot.respond_async(...)`` instead, which works with both engines.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.decision import Action, BotMessage, Decision
from bot.engines.rasa import RasaClassifier
from bot.errors import ModelNotFoundError, NLUEngineError
from bot.language import detect_language
from bot.model_store import ModelStore, ModelVersion, read_version
from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE, IntentClassifier, Prediction
from bot.policy import DialogueState, Policy, PolicyConfig
from bot.rasa_assistant import RasaAssistant
from bot.responses import ResponseCatalog
from bot.site_facts import load_defaults, render
from bot.training import load_model, train_model
from bot.training_data import load_training_data

log = logging.getLogger(__name__)



class Bot:
    """Answers visitor messages with one classifier, one set of responses and the policy."""

    def __init__(
        self,
        classifier: IntentClassifier,
        responses: ResponseCatalog,
        *,
        version: str,
        policy_config: PolicyConfig | None = None,
        facts: Mapping[str, str] | None = None,
        assistant: RasaAssistant | None = None,
        answer_threshold: float | None = None,
    ) -> None:
        """Assemble a bot; prefer the ``load_*`` constructors.

        ``classifier`` is an NLU engine, ``responses`` the answers to use,
        ``version`` the model version name reported to the gateway (stored
        on messages and shown in the admin pages). ``facts``: the site facts
        the answers name (``{shipping_fee}``, see :mod:`bot.site_facts`).
        ``answer_threshold``: the operator's (``TSUNAGU_ANSWER_THRESHOLD``, read
        and checked by the gateway's settings, never from the environment
        here), kept by :meth:`with_facts` and :meth:`reload`; ``None``: the
        classifier's own ``answer_threshold`` when it has one, else
        :attr:`PolicyConfig.answer_threshold`. ``policy_config``: the policy's
        tunables, whose answer threshold then wins. ``assistant``: a Rasa
        assistant that answers instead of the policy (``TSUNAGU_BOT=rasa``);
        the responses then only say why a person is coming when it is down.
        """
        if answer_threshold is not None and not 0.0 <= answer_threshold <= 1.0:
            raise ValueError(f"answer_threshold must be between 0 and 1, not {answer_threshold}")
        self.classifier = classifier
        self.assistant = assistant
        self.version = version
        self.answer_threshold = answer_threshold
        if policy_config is None:
            policy_config = PolicyConfig(
                answer_threshold=_answer_threshold(classifier, answer_threshold))
        self.policy = Policy(responses, policy_config, facts)

    @property
    def facts(self) -> Mapping[str, str]:
        """The site facts the answers are filled in with."""
        return self.policy.facts

    def with_facts(self, facts: Mapping[str, str]) -> Bot:
        """The same bot (same classifier, responses, version) answering with ``facts``."""
        return Bot(
            self.classifier,
            self.policy.responses,
            version=self.version,
            policy_config=self.policy.config,
            facts=facts,
            assistant=self.assistant,
            answer_threshold=self.answer_threshold,
        )

    # -- construction ---------------------------------------------------------------

    @classmethod
    def load_or_train(
        cls, models_dir: Path, training_dir: Path, *, engine: str | None = None
    ) -> Bot:
        """Load the active model of ``models_dir``, training one first if there is none.

        ``training_dir`` is the YAML training data (the repository's
        ``training_data/`` by default), used only when no model exists yet:
        the new version is stored and activated in ``models_dir`` (about two
        seconds). ``engine`` is ``"builtin"`` or ``"rasa"``, by default from
        ``TSUNAGU_NLU``; the Rasa engine needs ``RASA_URL`` and takes its
        responses from ``training_dir``. Raises
        :class:`~bot.errors.TrainingDataError` if the data is invalid and no
        model exists.
        """
        engine = (engine or os.environ.get("TSUNAGU_NLU") or "builtin").lower()
        if engine == "rasa":
            return cls.with_rasa(training_dir)
        if engine != "builtin":
            raise ValueError(f"TSUNAGU_NLU must be 'builtin' or 'rasa', not {engine!r}")
        facts = load_defaults(training_dir)
        try:
            return cls.load_active(models_dir).with_facts(facts)
        except ModelNotFoundError:
            train_model(training_dir, models_dir)
            return cls.load_active(models_dir).with_facts(facts)

    @classmethod
    def load_active(cls, models_dir: Path) -> Bot:
        """The bot of the active version in ``models_dir``; raises ``ModelNotFoundError``."""
        return cls.from_version(ModelStore(models_dir).active())

    @classmethod
    def load(cls, model_dir: Path) -> Bot:
        """The bot of one version folder (``<models>/<version>``)."""
        return cls.from_version(read_version(model_dir))

    @classmethod
    def from_version(cls, version: ModelVersion, *,
                     answer_threshold: float | None = None) -> Bot:
        """The bot of a loaded version; ``answer_threshold``: the operator's, if set."""
        classifier, responses = load_model(version)
        return cls(classifier, responses, version=version.name,
                   answer_threshold=answer_threshold)

    @classmethod
    def with_rasa(
        cls,
        training_dir: Path,
        *,
        url: str | None = None,
        threshold: float | None = None,
        timeout: float | None = None,
        token: str | None = None,
        answer_threshold: float | None = None,
    ) -> Bot:
        """A bot classifying with a Rasa server (``RASA_URL``) and our responses.

        ``threshold``: Rasa confidence below which a message is out of scope
        (``RASA_THRESHOLD``, default 0.5). ``timeout``: seconds to wait for
        Rasa (``RASA_TIMEOUT``, default 2). ``token``: the ``--auth-token``
        Rasa was started with (``RASA_TOKEN``). Each left out is read from
        the environment (the ``tsunagu parse``/``respond`` commands; the
        gateway passes them all). ``answer_threshold``: as for :class:`Bot`.
        """
        url = url or os.environ.get("RASA_URL")
        if not url:
            raise ValueError("TSUNAGU_NLU=rasa needs RASA_URL (e.g. http://127.0.0.1:5005)")
        threshold = threshold if threshold is not None else _env_float("RASA_THRESHOLD", 0.5)
        timeout = timeout if timeout is not None else _env_float("RASA_TIMEOUT", 2.0)
        token = token if token is not None else os.environ.get("RASA_TOKEN") or None
        data = load_training_data(training_dir)
        classifier = RasaClassifier(url, threshold=threshold, timeout=timeout, token=token)
        responses = ResponseCatalog(data.responses, data.labels)
        return cls(
            classifier,
            responses,
            version=f"rasa:{data.data_hash[:8]}",
            facts=load_defaults(training_dir),
            answer_threshold=answer_threshold,
        )

    @classmethod
    def with_rasa_assistant(
        cls,
        training_dir: Path,
        *,
        url: str,
        token: str | None = None,
        timeout: float | None = None,
        answer_threshold: float | None = None,
    ) -> Bot:
        """A bot whose dialogue is a whole Rasa assistant (``TSUNAGU_BOT=rasa``).

        ``url``: the server's base URL (``RASA_URL``); ``token``: ``rasa run
        --auth-token``'s token (``RASA_TOKEN``); ``timeout``: seconds for each
        call (``RASA_TIMEOUT``), default 10 s (a dialogue turn runs policies
        and maybe custom actions). The gateway passes what its settings
        checked; nothing is read from the environment here. Our responses
        (``training_dir``) are used only when Rasa cannot be reached.
        ``answer_threshold``: as for :class:`Bot` (its policy answers only then).
        """
        timeout = 10.0 if timeout is None else timeout
        data = load_training_data(training_dir)
        return cls(
            RasaClassifier(url, timeout=timeout, token=token),
            ResponseCatalog(data.responses, data.labels),
            version="rasa:assistant",
            facts=load_defaults(training_dir),
            assistant=RasaAssistant(url, token=token, timeout=timeout),
            answer_threshold=answer_threshold,
        )

    def reload(self, models_dir: Path) -> Bot:
        """Hot swap: the bot of the now-active version, or ``self`` if it is unchanged.

        Call it when told a new model was trained (e.g. on the Redis channel
        every gateway process listens to) and replace the reference you hold.
        Loading takes tens of milliseconds and reads files: run it off the
        event loop (``await asyncio.to_thread(bot.reload, models_dir)``).
        """
        store = ModelStore(models_dir)
        if store.active_name() == self.version:
            return self
        return Bot.from_version(store.active(), answer_threshold=self.answer_threshold
                                ).with_facts(self.facts)

    # -- answering --------------------------------------------------------------------

    @property
    def decides_in_process(self) -> bool:
        """True when :meth:`respond` is pure computation (no remote engine to wait for):
        the gateway may then decide inside the transaction that stores the message."""
        return getattr(self.classifier, "parse_async", None) is None

    def respond(
        self,
        text: str,
        *,
        payload: str | None = None,
        locale: str = "en",
        state: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide the answer to one visitor message.

        ``text``: what the visitor typed (or the title of the quick reply
        clicked). ``payload``: the clicked quick reply's payload
        (``/request_human``, ``/intent:NAME``, ``/feedback:yes``…), ``None``
        for typed text. ``locale``: the widget's locale, used when the text
        does not show its language. ``state``: ``Decision.state`` of the
        previous answer in this conversation (``None`` for the first).

        Pure computation with the built-in engine: no I/O, about 0.1 ms.
        If a remote engine (Rasa) is unreachable the message is treated as
        not understood (a fallback, logged as a warning) rather than raising.
        """
        dialogue, language = self._context(text, locale, state)
        prediction = Policy.prediction_from_payload(payload)
        if prediction is None:
            try:
                prediction = self.classifier.parse(text)
            except NLUEngineError as exc:
                return self._unavailable(exc, language, dialogue, payload)
        return self.policy.decide(prediction, language, dialogue, payload=payload)

    async def respond_async(
        self,
        text: str,
        *,
        payload: str | None = None,
        locale: str = "en",
        state: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
    ) -> Decision:
        """:meth:`respond` for any engine; awaits the HTTP call of a remote one (Rasa).

        ``conversation_id`` names the conversation to a Rasa assistant (its
        ``sender``, so its tracker follows the conversation); other engines
        ignore it.
        """
        if self.assistant is not None:
            return await self._assistant_turn(text, payload, locale, state, conversation_id)
        dialogue, language = self._context(text, locale, state)
        prediction = Policy.prediction_from_payload(payload)
        if prediction is None:
            try:
                prediction = await self._parse_async(text)
            except NLUEngineError as exc:
                return self._unavailable(exc, language, dialogue, payload)
        return self.policy.decide(prediction, language, dialogue, payload=payload)

    async def hold(self, conversation_id: str) -> None:
        """A person holds the conversation now: a Rasa assistant pauses its tracker.

        No-op for the other engines (they keep no dialogue of their own). An
        unreachable Rasa is logged, not raised: the handoff goes on, and the
        bot is not asked anything while a person holds the chat anyway.
        """
        if self.assistant is not None:
            try:
                await self.assistant.pause(conversation_id)
            except NLUEngineError as exc:
                log.warning("could not pause Rasa's tracker of %s: %s", conversation_id, exc)

    async def release(self, conversation_id: str) -> None:
        """The bot has the conversation again: a Rasa assistant resumes its tracker."""
        if self.assistant is not None:
            try:
                await self.assistant.resume(conversation_id)
            except NLUEngineError as exc:
                log.warning("could not resume Rasa's tracker of %s: %s", conversation_id, exc)

    async def _assistant_turn(
        self,
        text: str,
        payload: str | None,
        locale: str,
        state: Mapping[str, Any] | None,
        conversation_id: str | None,
    ) -> Decision:
        """Rasa answers: its messages, its classification, a handoff if it asks for one."""
        assert self.assistant is not None
        if conversation_id is None:
            raise ValueError("a Rasa assistant needs the conversation id (its sender)")
        language = detect_language(text, fallback=locale)
        # The dialogue lives in Rasa's tracker: the state we store stays as it
        # is, so a turn never looks outdated and is never sent to Rasa twice.
        kept = dict(state or {})
        # A clicked button sends its payload, as Rasa's own channels do
        # ("/mood_great" is that intent for Rasa, at confidence 1).
        message = payload or text
        metadata = {"locale": language, "conversation_id": conversation_id}
        try:
            turn = await self.assistant.turn(conversation_id, message, metadata)
            if turn.paused and turn.handoff is None and not turn.messages:
                # The conversation is with the bot (the gateway asks only then),
                # yet the tracker is paused: a pause that outlived its handoff
                # (another gateway process resumed first, or the resume failed).
                # Rasa logged the message and predicted nothing: resume, ask again.
                log.warning("Rasa's tracker of %s was paused while the bot has the "
                            "conversation: resuming it and sending the message again",
                            conversation_id)
                await self.assistant.resume(conversation_id)
                turn = await self.assistant.turn(conversation_id, message, metadata)
                if turn.handoff is None and not turn.messages:
                    # Still nothing: a person, never a visitor left unanswered.
                    turn = replace(turn, handoff="silent")
        except NLUEngineError as exc:
            # Rasa is the dialogue: with it down, a person is the only help.
            log.warning("Rasa assistant unavailable, handing over to a person: %s", exc)
            response = self.policy.responses.get("utter_fallback_escalate", language)
            return Decision(
                Action.ESCALATE,
                render(response.text, self.facts) if response is not None else "",
                intent=NLU_UNAVAILABLE,
                state=kept,
                nlu_unavailable=True,
            )
        if turn.handoff is not None:
            messages = turn.messages
            if not messages:
                # Rasa said nothing: say why the chat is waiting for a person.
                response = self.policy.responses.get("utter_request_human", language)
                text_out = render(response.text, self.facts) if response is not None else ""
                messages = (BotMessage(text_out),) if text_out else ()
            first = messages[0] if messages else BotMessage("")
            return Decision(
                Action.ESCALATE, first.text, first.quick_replies, turn.intent, turn.confidence,
                priority=turn.priority, ranking=turn.ranking, state=kept, messages=messages,
            )
        first = turn.messages[0] if turn.messages else BotMessage("")
        return Decision(
            Action.ANSWER, first.text, first.quick_replies, turn.intent, turn.confidence,
            ranking=turn.ranking, state=kept, messages=turn.messages,
        )

    def _unavailable(
        self, exc: NLUEngineError, language: str, dialogue: DialogueState, payload: str | None
    ) -> Decision:
        # A remote engine that is down must not leave the visitor without an
        # answer: the policy treats the message as not understood (a fallback
        # with "talk to a person", a person after the second one), but the
        # message is recorded as unclassified, never as out of scope.
        log.warning("NLU engine unavailable, answering with a fallback: %s", exc)
        decision = self.policy.decide(
            Prediction(OUT_OF_SCOPE, 0.0), language, dialogue, payload=payload
        )
        return replace(decision, intent=NLU_UNAVAILABLE, confidence=None, ranking=(),
                       nlu_unavailable=True)

    def parse(self, text: str) -> Prediction:
        """Classify ``text`` without deciding anything (``tsunagu parse``)."""
        return self.classifier.parse(text)

    async def _parse_async(self, text: str) -> Prediction:
        parse_async = getattr(self.classifier, "parse_async", None)
        if parse_async is not None:
            return await parse_async(text)
        return self.classifier.parse(text)

    @staticmethod
    def _context(
        text: str, locale: str, state: Mapping[str, Any] | None
    ) -> tuple[DialogueState, str]:
        dialogue = DialogueState.from_dict(state)
        # The text decides; when it cannot (``ok``, ``12345``) keep the
        # conversation's language, then the widget's locale.
        language = detect_language(text, fallback=dialogue.language or locale)
        return dialogue, language


def _answer_threshold(classifier: IntentClassifier, operators: float | None) -> float:
    """The operator's threshold, else the model's, else the policy's default."""
    if operators is not None:
        return operators
    own = getattr(classifier, "answer_threshold", None)
    return float(own) if isinstance(own, int | float) else PolicyConfig.answer_threshold


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc
