"""The bot's training data in the record: intents, examples per language, answers.

Seeded from ``training_data/`` on the first start; edited by admins through
the HTTP API (every change with an audit entry in the same transaction);
exported as Rasa 3.x YAML for training and for people who leave. An edit of
an intent names the ``revision`` it started from, so of two admins editing
the same intent the second gets a ``conflict`` instead of overwriting.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from bot.language import SUPPORTED, detect_language
from bot.nlu import OUT_OF_SCOPE
from bot.rasa_format import read_rasa, write_rasa
from bot.training_data import TrainingData, load_training_data, normalize_example
from live_chat.admin import audit
from live_chat.errors import Conflict, InvalidPayload, NotFound
from live_chat.store.catalog import CatalogRecords
from live_chat.store.inbox import InboxRecords
from live_chat.store.models import Agent, BotExample, BotIntent, utcnow
from live_chat.store.repository import IntegrityError, Store
from live_chat.wire import Payload

INTENT_NAME = r"^[a-z][a-z0-9_]{1,63}$"
_INTENT_NAME = re.compile(INTENT_NAME)
MAX_EXAMPLE = 500
MAX_IMPORT_EXAMPLES = 20_000
RESPONSE_PREFIX = "utter_"


class QuickReplyIn(Payload):
    title: str = Field(min_length=1, max_length=80)
    payload: str = Field(min_length=1, max_length=200)


class AnswerIn(Payload):
    text: str = Field(min_length=1, max_length=4000)
    quick_replies: list[QuickReplyIn] = Field(default_factory=list, max_length=8)


# An answer may be sent as plain text (the fixed POST /api/admin/intents shape).
Answer = AnswerIn | str


class ExampleIn(Payload):
    locale: str | None = Field(default=None, pattern="^(ja|en)$")
    text: str = Field(min_length=1, max_length=MAX_EXAMPLE)


class IntentIn(Payload):
    name: str = Field(pattern=INTENT_NAME)
    responses: dict[str, Answer] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    examples: list[ExampleIn] = Field(default_factory=list, max_length=1000)
    message_ids: list[str] = Field(default_factory=list, max_length=1000)


class IntentUpdate(Payload):
    revision: int = Field(ge=1)
    responses: dict[str, Answer] | None = None
    labels: dict[str, str] | None = None


class ExamplesIn(Payload):
    intent: str = Field(pattern=INTENT_NAME)
    locale: str | None = Field(default=None, pattern="^(ja|en)$")
    text: str | None = Field(default=None, min_length=1, max_length=MAX_EXAMPLE)
    message_ids: list[str] = Field(default_factory=list, max_length=1000)


class ImportFile(Payload):
    name: str = Field(min_length=1, max_length=200)
    content: str = Field(max_length=5_000_000)


class ImportIn(Payload):
    files: list[ImportFile] = Field(min_length=1, max_length=50)


def text_hash(text: str) -> str:
    """The key under which two examples count as the same utterance."""
    return hashlib.sha256(normalize_example(text).encode("utf-8")).hexdigest()


class Catalog:
    """Read and change the training data; ``store`` is the deployment's record."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- seeding, training data, import and export ---------------------------------

    async def seed(self, training_dir: Path) -> bool:
        """Fill an empty catalog from the YAML under ``training_dir``; False if not empty."""
        async with self.store.begin() as tx:
            if not await CatalogRecords(tx.session).is_empty():
                return False
        data = await asyncio.to_thread(load_training_data, training_dir)
        try:
            async with self.store.begin() as tx:
                records = CatalogRecords(tx.session)
                if not await records.is_empty():
                    return False
                counts = await self._merge(records, data, source="seed", actor=None)
                await audit.record(tx.session, None, "import", training_dir.name + "/",
                                   after={"seeded": True, **counts})
        except IntegrityError:
            return False  # another process seeded it at the same moment
        return True

    async def training_data(self) -> TrainingData:
        """Everything the bot trains on, as :class:`~bot.training_data.TrainingData`."""
        async with self.store.begin() as tx:
            records = CatalogRecords(tx.session)
            intents = await records.intents()
            examples = await records.examples()
            extra = await records.responses()
        responses: dict[str, Any] = {row.name: row.variations for row in extra}
        labels: dict[str, Any] = {}
        for intent in intents:
            if intent.response:
                responses[RESPONSE_PREFIX + intent.name] = intent.response
            if intent.labels:
                labels[intent.name] = intent.labels
        # Validation hashes every example: tens of milliseconds, off the event loop.
        return await asyncio.to_thread(
            TrainingData.from_records, [(e.intent, e.text) for e in examples], responses, labels)

    async def export_files(self) -> dict[str, str]:
        """The catalog as Rasa 3.x files (``data/nlu.yml``, ``domain.yml``, ``labels.yml``)."""
        return await asyncio.to_thread(write_rasa, await self.training_data())

    async def import_files(self, actor: Agent | None, files: ImportIn) -> dict[str, Any]:
        """Merge Rasa YAML files into the catalog: new intents, examples and answers are added.

        Raises :class:`InvalidPayload` with ``problems`` (file, line, message)
        when a file is bad; nothing is stored then.
        """
        from bot.errors import TrainingDataError

        try:
            result = await asyncio.to_thread(read_rasa, [(f.name, f.content) for f in files.files])
        except TrainingDataError as exc:
            raise InvalidPayload("the files have problems; nothing was imported",
                                 problems=[_problem(p) for p in exc.problems]) from None
        if len(result.data.examples) > MAX_IMPORT_EXAMPLES:
            raise InvalidPayload(f"at most {MAX_IMPORT_EXAMPLES:,} examples at once; "
                                 "split the files")
        misnamed = {e.intent: e for e in reversed(result.data.examples)
                    if not _INTENT_NAME.match(e.intent)}
        if misnamed:
            raise InvalidPayload("the files have problems; nothing was imported", problems=[
                {"file": e.source, "line": e.line, "message": f"intent name {name!r} must be "
                 "lower-case letters, digits and _, starting with a letter"}
                for name, e in sorted(misnamed.items())])
        async with self.store.begin() as tx:
            counts = await self._merge(CatalogRecords(tx.session), result.data, source="import",
                                       actor=actor)
            await audit.record(tx.session, actor, "import", ", ".join(f.name for f in files.files),
                               after=counts)
        return {"imported": counts, "warnings": [_problem(p) for p in result.warnings]}

    async def _merge(self, records: CatalogRecords, data: TrainingData, *, source: str,
                     actor: Agent | None) -> dict[str, int]:
        """Add what ``data`` has and the catalog lacks; existing answers are kept."""
        known = {i.name: i for i in await records.intents()}
        added_intents = 0
        for name in data.intents:
            if name in known:
                continue
            response = data.responses.get(RESPONSE_PREFIX + name) or []
            labels = data.labels.get(name) or {}
            known[name] = records.add_intent(name, list(response), dict(labels))
            added_intents += 1
        existing_responses = {r.name for r in await records.responses()}
        added_responses = 0
        for name, variations in data.responses.items():
            intent = name.removeprefix(RESPONSE_PREFIX)
            if name.startswith(RESPONSE_PREFIX) and intent in known:
                continue
            if name not in existing_responses:
                records.add_response(name, list(variations))
                added_responses += 1
        await records.flush()
        seen = set(await records.examples_by_hash(text_hash(e.text) for e in data.examples))
        rows = []
        for example in data.examples:
            key = text_hash(example.text)
            if key in seen:
                continue
            seen.add(key)
            rows.append({"intent": example.intent, "locale": example.language,
                         "text": example.text, "text_hash": key, "source": source,
                         "created_by": actor.id if actor else None})
        await records.add_examples(rows)
        added_examples = len(rows)
        return {"intents": added_intents, "examples": added_examples,
                "responses": added_responses}

    # -- reading -------------------------------------------------------------------

    async def summaries(self, query: str | None = None) -> list[dict[str, Any]]:
        async with self.store.begin() as tx:
            records = CatalogRecords(tx.session)
            intents = await records.intents(query)
            counts = await records.example_counts()
        return [intent_out(i, counts.get(i.name, {})) for i in intents]

    async def intent(self, name: str) -> dict[str, Any]:
        async with self.store.begin() as tx:
            return await self._detail(CatalogRecords(tx.session), name)

    async def _detail(self, records: CatalogRecords, name: str) -> dict[str, Any]:
        intent = await records.intent(name)
        if intent is None:
            raise NotFound(f"there is no intent {name!r}")
        examples = await records.examples(name)
        counts: dict[str, int] = {}
        for e in examples:
            counts[e.locale] = counts.get(e.locale, 0) + 1
        return {**intent_out(intent, counts), "examples_list": [example_out(e) for e in examples]}

    # -- changes -------------------------------------------------------------------

    async def create_intent(self, actor: Agent, data: IntentIn) -> dict[str, Any]:
        """A new intent with its answer; examples and labelled messages may come along."""
        if data.name == OUT_OF_SCOPE:
            raise Conflict("out_of_scope exists already: add examples to it instead")
        try:
            async with self.store.begin() as tx:
                records = CatalogRecords(tx.session)
                if await records.intent(data.name) is not None:
                    raise Conflict(f"the intent {data.name!r} exists already")
                records.add_intent(data.name, _variations(data.responses), dict(data.labels))
                await records.flush()
                added, skipped = await self._add_examples(
                    records, actor, data.name,
                    [(e.text, e.locale) for e in data.examples], data.message_ids)
                detail = await self._detail(records, data.name)
                await audit.record(tx.session, actor, "intent.create", data.name, after={
                    "responses": detail["responses"], "labels": detail["labels"],
                    "examples": [e["text"] for e in added]})
        except IntegrityError:
            raise Conflict(f"the intent {data.name!r} was created by someone else meanwhile"
                           ) from None
        return {"intent": detail, "added": added, "skipped": skipped}

    async def update_intent(self, actor: Agent, name: str, data: IntentUpdate) -> dict[str, Any]:
        """Change the answer and labels, if nobody changed the intent since ``revision``."""
        async with self.store.begin() as tx:
            records = CatalogRecords(tx.session)
            current = await records.intent(name)
            if current is None:
                raise NotFound(f"there is no intent {name!r}")
            before = {"revision": current.revision, "responses": _answers(current.response),
                      "labels": current.labels}
            fields: dict[str, Any] = {}
            if data.responses is not None:
                fields["response"] = _variations(data.responses)
            if data.labels is not None:
                fields["labels"] = dict(data.labels)
            if not await records.update_intent(name, data.revision, **fields):
                raise Conflict(
                    f"the intent {name!r} was changed by someone else (now revision "
                    f"{current.revision}, you edited revision {data.revision}); reload it and "
                    "apply your change again")
            await tx.session.refresh(current)
            detail = await self._detail(records, name)
            await audit.record(tx.session, actor, "intent.update", name, before=before, after={
                "revision": detail["revision"], "responses": detail["responses"],
                "labels": detail["labels"]})
        return {"intent": detail}

    async def delete_intent(self, actor: Agent, name: str, revision: int) -> None:
        if name == OUT_OF_SCOPE:
            raise Conflict("out_of_scope cannot be deleted")
        async with self.store.begin() as tx:
            records = CatalogRecords(tx.session)
            before = await self._detail(records, name)
            if not await records.delete_intent(name, revision):
                raise Conflict(f"the intent {name!r} was changed by someone else; reload it")
            await audit.record(tx.session, actor, "intent.delete", name, before={
                "responses": before["responses"], "labels": before["labels"],
                "examples": [e["text"] for e in before["examples_list"]]})

    async def add_examples(self, actor: Agent, data: ExamplesIn) -> dict[str, Any]:
        """Add one typed example, or label visitor messages (``message_ids``) with the intent."""
        if data.text is None and not data.message_ids:
            raise InvalidPayload("send a text or message_ids")
        typed = [(data.text, data.locale)] if data.text is not None else []
        try:
            async with self.store.begin() as tx:
                records = CatalogRecords(tx.session)
                if await records.intent(data.intent) is None:
                    if data.intent != OUT_OF_SCOPE:
                        raise NotFound(f"there is no intent {data.intent!r}; create it first")
                    records.add_intent(OUT_OF_SCOPE, [], {})
                    await records.flush()
                added, skipped = await self._add_examples(
                    records, actor, data.intent, typed, data.message_ids)
                if added:
                    await audit.record(tx.session, actor, "example.add", data.intent, after={
                        "examples": [e["text"] for e in added],
                        "message_ids": [e["message_id"] for e in added if e["message_id"]]})
                detail = await self._detail(records, data.intent)
        except IntegrityError:
            raise Conflict("someone added the same example meanwhile; try again") from None
        return {"intent": detail, "added": added, "skipped": skipped}

    async def delete_example(self, actor: Agent, example_id: int) -> dict[str, Any]:
        async with self.store.begin() as tx:
            records = CatalogRecords(tx.session)
            example = await records.example(example_id)
            if example is None:
                raise NotFound(f"there is no example {example_id}")
            before = example_out(example)
            await records.delete_example(example)
            await records.flush()
            await audit.record(tx.session, actor, "example.delete", example.intent,
                               before=before)
            detail = await self._detail(records, example.intent)
        return {"intent": detail}

    async def _add_examples(
        self, records: CatalogRecords, actor: Agent, intent: str,
        typed: Sequence[tuple[str, str | None]], message_ids: Sequence[str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        candidates: list[tuple[str, str | None, str | None]] = [
            (text.strip(), locale, None) for text, locale in typed if text.strip()]
        messages = await records.visitor_messages(message_ids)
        found = {m.id for m in messages}
        skipped: list[dict[str, Any]] = [
            {"message_id": m, "reason": "not_found"} for m in message_ids if m not in found]
        candidates += [(m.text.strip()[:MAX_EXAMPLE], None, m.id) for m in messages
                       if m.text.strip()]
        existing = await records.examples_by_hash(text_hash(t) for t, _, _ in candidates)
        rows: list[dict[str, Any]] = []
        labelled_already: list[str] = []
        for text, locale, message_id in candidates:
            key = text_hash(text)
            if key in existing:
                other = existing[key][1]
                skipped.append({"text": text, "message_id": message_id, "intent": other,
                                "reason": "duplicate" if other == intent else "other_intent"})
                if message_id and other == intent:
                    labelled_already.append(message_id)
                continue
            rows.append({"intent": intent, "locale": locale or detect_language(text, fallback="en"),
                         "text": text, "text_hash": key,
                         "source": "inbox" if message_id else "admin",
                         "message_id": message_id, "created_by": actor.id})
            existing[key] = (0, intent)
        ids = await records.add_examples(rows)
        if labelled_already:
            # The same words as an example of this intent already: labelled all the
            # same, so the message leaves the inbox with the rest of its group.
            await InboxRecords(records.session).dismiss(labelled_already, actor.id)
        return [{"id": row_id, **_example_fields(row)} for row_id, row in zip(ids, rows,
                                                                              strict=True)], skipped


def _variations(answers: dict[str, Answer]) -> list[dict[str, Any]]:
    """API answers per language -> Rasa response variations (``metadata.language``)."""
    out = []
    for language, answer in answers.items():
        if language not in SUPPORTED:
            raise InvalidPayload(f"answers are per language: {', '.join(SUPPORTED)}")
        answer = AnswerIn(text=answer) if isinstance(answer, str) else answer
        if not answer.text.strip():
            continue
        variation: dict[str, Any] = {"text": answer.text, "metadata": {"language": language}}
        if answer.quick_replies:
            variation["buttons"] = [{"title": q.title, "payload": q.payload}
                                    for q in answer.quick_replies]
        out.append(variation)
    return out


def _answers(variations: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Rasa variations -> one answer per language (the first of each, as the bot uses)."""
    out: dict[str, dict[str, Any] | None] = dict.fromkeys(SUPPORTED)
    for variation in variations or []:
        language = (variation.get("metadata") or {}).get("language")
        for target in ([language] if language else list(SUPPORTED)):
            if target in out and out[target] is None:
                out[target] = {"text": variation.get("text", ""), "quick_replies": [
                    {"title": b.get("title", ""), "payload": b.get("payload", "")}
                    for b in variation.get("buttons") or []]}
    return out


def intent_out(intent: BotIntent, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "name": intent.name, "revision": intent.revision,
        "examples": {language: counts.get(language, 0) for language in SUPPORTED},
        "labels": {language: (intent.labels or {}).get(language) for language in SUPPORTED},
        "responses": _answers(intent.response),
        "updated_at": intent.updated_at.isoformat(),
    }


def example_out(example: BotExample) -> dict[str, Any]:
    return {"id": example.id, "intent": example.intent, "locale": example.locale,
            "text": example.text, "source": example.source, "message_id": example.message_id,
            "created_at": example.created_at.isoformat()}


def _example_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The API shape of an example just inserted from ``row`` (its column values)."""
    return {"intent": row["intent"], "locale": row["locale"], "text": row["text"],
            "source": row["source"], "message_id": row.get("message_id"),
            "created_at": utcnow().isoformat()}


def _problem(problem: Any) -> dict[str, Any]:
    return {"file": problem.source, "line": problem.line, "message": problem.message}
