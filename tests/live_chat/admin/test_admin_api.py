"""The admin HTTP API: roles, intents with revisions, labelling, training, the gate, activation.

Everything runs against a real gateway on loopback (SQLite and this
machine's PostgreSQL), through HTTP as the console and other tools call it.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import aiohttp
import pytest

from tests.clients import login
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent, cid

# Every route of docs/admin.md that needs the admin role: (method, path, body).
ADMIN_ROUTES = [
    ("GET", "/api/admin/unmatched", None),
    ("GET", "/api/admin/intents", None),
    ("GET", "/api/admin/intents/order_status", None),
    ("POST", "/api/admin/intents", {"name": "gift_wrap", "responses": {"ja": "はい", "en": "Yes"}}),
    ("PUT", "/api/admin/intents/order_status", {"revision": 1}),
    ("DELETE", "/api/admin/intents/order_status?revision=1", None),
    ("POST", "/api/admin/examples", {"intent": "order_status", "locale": "en", "text": "x y z"}),
    ("DELETE", "/api/admin/examples/1", None),
    ("POST", "/api/admin/unmatched/ignore", {"message_ids": ["x"]}),
    ("POST", "/api/admin/train", {}),
    ("GET", "/api/admin/train", None),
    ("GET", "/api/admin/train/abc", None),
    ("GET", "/api/admin/models", None),
    ("POST", "/api/admin/models/x/activate", {}),
    ("GET", "/api/admin/export", None),
    ("POST", "/api/admin/import", {"files": [{"name": "nlu.yml", "content": "nlu: []"}]}),
    ("GET", "/api/admin/audit", None),
]


async def api(gateway: Gateway | str, method: str, path: str, token: str | None,
              body: Any = None) -> tuple[int, Any]:
    url = gateway if isinstance(gateway, str) else gateway.url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(
        method, f"{url}{path}", json=body, headers=headers
    ) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


async def token_of(gateway: Gateway, name: str, role: str = "agent") -> str:
    email = await add_agent(gateway, name, role=role)
    status, body, _ = await login(gateway.url, email, PASSWORD)
    assert status == 200
    return str(body["token"])


async def wait_for_job(gateway: Gateway | str, token: str, job_id: str,
                       timeout: float = 120.0) -> tuple[dict[str, Any], list[tuple[str, float]]]:
    """Poll the job until it ends; also returns every (stage, progress) seen."""
    seen: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        status, body = await api(gateway, "GET", f"/api/admin/train/{job_id}", token)
        assert status == 200, body
        job = body["job"]
        seen.append((job["stage"], job["progress"]))
        if job["state"] in ("done", "failed"):
            return job, seen
        await asyncio.sleep(0.2)
    raise AssertionError(f"training job {job_id} did not end in {timeout} s: {seen[-3:]}")


async def bot_answer(gateway: Gateway | str, text: str) -> dict[str, Any]:
    """A new visitor asks ``text``: the bot's reply, and the visitor's message as stored.

    With an in-process gateway the stored message carries the bot's
    classification (``intent``, ``confidence``), read from the record.
    """
    from tests.clients import VisitorClient

    url = gateway if isinstance(gateway, str) else gateway.url
    async with VisitorClient(url) as visitor:
        ack = await visitor.send(text, cid())
        assert ack["ok"], ack
        reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
    stored: dict[str, Any] = dict(ack["message"])
    if not isinstance(gateway, str):
        from live_chat.store.models import Message

        async with gateway.ctx.store.begin() as tx:
            row = await tx.session.get(Message, stored["id"])
            assert row is not None
            stored.update(intent=row.intent, confidence=row.confidence)
    return {"reply": reply, "visitor": stored}


async def test_every_admin_route_needs_the_admin_role(gateway: Gateway) -> None:
    plain = await token_of(gateway, "Plain")
    supervisor = await token_of(gateway, "Sup", role="supervisor")
    async with gateway.visitor() as visitor:
        visitor_token = visitor.session["visitor_token"]
    for method, path, body in ADMIN_ROUTES:
        assert (await api(gateway, method, path, None, body))[0] == 401, path
        assert (await api(gateway, method, path, visitor_token, body))[0] == 401, path
        for token in (plain, supervisor):
            status, answer = await api(gateway, method, path, token, body)
            assert status == 403 and answer["error"] == "forbidden", (path, answer)


async def test_two_admins_editing_one_intent_lose_no_update(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    aoi = await token_of(gateway, "Aoi", role="admin")
    ren = await token_of(gateway, "Ren", role="admin")
    status, body = await api(gateway, "GET", "/api/admin/intents/order_status", aoi)
    assert status == 200
    revision = body["intent"]["revision"]
    assert body["intent"]["examples"]["ja"] > 10 and body["intent"]["examples"]["en"] > 10
    assert body["intent"]["responses"]["ja"]["text"]

    first = {"revision": revision,
             "responses": {"en": {"text": "Aoi's answer", "quick_replies": []},
                           "ja": "あおいの回答"}}
    second = {"revision": revision, "responses": {"en": "Ren's answer", "ja": "れんの回答"}}
    status, body = await api(gateway, "PUT", "/api/admin/intents/order_status", aoi, first)
    assert status == 200 and body["intent"]["revision"] == revision + 1
    status, body = await api(gateway, "PUT", "/api/admin/intents/order_status", ren, second)
    assert status == 409 and body["error"] == "conflict"
    assert "changed by someone else" in body["message"]
    status, body = await api(gateway, "GET", "/api/admin/intents/order_status", ren)
    assert body["intent"]["responses"]["en"]["text"] == "Aoi's answer"
    # Ren reloads and applies the change again: now it lands on top of Aoi's.
    second["revision"] = body["intent"]["revision"]
    status, body = await api(gateway, "PUT", "/api/admin/intents/order_status", ren, second)
    assert status == 200 and body["intent"]["responses"]["ja"]["text"] == "れんの回答"

    status, body = await api(gateway, "GET", "/api/admin/audit?action=intent.update", aoi)
    updates = body["entries"]
    assert [e["actor"]["name"] for e in updates] == ["Ren", "Aoi"]
    assert updates[1]["after"]["responses"]["en"]["text"] == "Aoi's answer"
    assert updates[0]["before"]["responses"]["en"]["text"] == "Aoi's answer"


async def test_intents_and_examples_from_visitor_messages(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    admin = await token_of(gateway, "Mio", role="admin")
    asked = [await bot_answer(gateway, text) for text in
             ("ギフト包装はできますか", "プレゼント用にラッピングしてもらえますか")]
    ids = [a["visitor"]["id"] for a in asked]
    new = {"name": "gift_wrapping",
           "responses": {"ja": "ギフト包装は1点200円で承ります。",
                         "en": "Gift wrapping is 200 yen."},
           "labels": {"ja": "ギフト包装", "en": "Gift wrapping"}, "message_ids": ids[:1]}
    status, body = await api(gateway, "POST", "/api/admin/intents", admin, new)
    assert status == 200, body
    assert [e["message_id"] for e in body["added"]] == ids[:1]
    assert (await api(gateway, "POST", "/api/admin/intents", admin, new))[0] == 409
    status, body = await api(gateway, "POST", "/api/admin/intents", admin, {**new, "name": "Bad!"})
    assert status == 400 and body["error"] == "invalid"

    status, body = await api(gateway, "POST", "/api/admin/examples", admin,
                             {"intent": "gift_wrapping", "message_ids": ids})
    assert status == 200
    assert [e["message_id"] for e in body["added"]] == ids[1:]
    assert [s["reason"] for s in body["skipped"]] == ["duplicate"]
    status, body = await api(gateway, "POST", "/api/admin/examples", admin,
                             {"intent": "gift_wrapping", "locale": "en",
                              "text": "Can you gift wrap it?"})
    assert status == 200 and body["intent"]["examples"] == {"ja": 2, "en": 1}
    # An utterance that is already another intent's example is refused, with the other intent.
    status, body = await api(gateway, "POST", "/api/admin/examples", admin,
                             {"intent": "gift_wrapping", "locale": "ja", "text": "こんにちは"})
    assert body["added"] == [] and body["skipped"][0]["reason"] == "other_intent"
    assert body["skipped"][0]["intent"] == "greet"
    status, body = await api(gateway, "POST", "/api/admin/examples", admin,
                             {"intent": "no_such_intent", "locale": "en", "text": "hello there"})
    assert status == 404
    example_id = body and (await api(gateway, "GET", "/api/admin/intents/gift_wrapping",
                                     admin))[1]["intent"]["examples_list"][0]["id"]
    status, body = await api(gateway, "DELETE", f"/api/admin/examples/{example_id}", admin)
    assert status == 200 and sum(body["intent"]["examples"].values()) == 2
    status, body = await api(gateway, "GET", "/api/admin/intents?q=ラッピング", admin)
    # The built-in out_of_scope examples (shop questions no intent covers)
    # may mention wrapping too; no other intent does.
    found = [i["name"] for i in body["intents"]]
    assert "gift_wrapping" in found and set(found) <= {"gift_wrapping", "out_of_scope"}
    actions = [e["action"] for e in (await api(gateway, "GET", "/api/admin/audit", admin))[1]
               ["entries"]]
    assert actions[:4] == ["example.delete", "example.add", "example.add", "intent.create"]


RASA_PROJECT_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello there
- intent: order_pizza
  examples: |
    - I want a [large](size) pizza
    - order a [pepperoni]{"entity": "topping"} pizza please
    - can I get a pizza delivered
- synonym: pepperoni
  examples: |
    - peperoni
- regex: zipcode
  examples: |
    - [0-9]{5}
- lookup: topping
  examples: |
    - cheese
"""


async def test_import_a_rasa_project_and_export_it_back(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Mio", role="admin")
    files = {"files": [{"name": "data/nlu.yml", "content": RASA_PROJECT_NLU}]}
    status, body = await api(gateway, "POST", "/api/admin/import", admin, files)
    assert status == 200, body
    assert body["imported"]["intents"] == 1 and body["imported"]["examples"] == 3
    # Entities, the synonym, the regex and the lookup: one warning, at the first entity.
    (warning,) = body["warnings"]
    assert (warning["file"], warning["line"]) == ("data/nlu.yml", 9)
    assert "2 entity annotations, 1 synonym ('pepperoni')" in warning["message"]
    broken = "nlu:\n- intent: x\n  examples: |\n    oops\n"
    bad = {"files": [{"name": "nlu.yml", "content": broken}]}
    status, body = await api(gateway, "POST", "/api/admin/import", admin, bad)
    assert status == 400 and body["error"] == "invalid"
    assert body["problems"][0]["file"] == "nlu.yml" and body["problems"][0]["line"] == 4

    status, archive = await api(gateway, "GET", "/api/admin/export", admin)
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        exported = {name: z.read(name).decode() for name in z.namelist()}
    assert {"data/nlu.yml", "domain.yml", "labels.yml"} <= set(exported)
    assert "- I want a large pizza" in exported["data/nlu.yml"]
    # The export imports into an empty deployment unchanged (round trip through the API).
    status, body = await api(gateway, "POST", "/api/admin/import", admin, {
        "files": [{"name": n, "content": c} for n, c in exported.items()]})
    assert status == 200 and body["imported"] == {"intents": 0, "examples": 0, "responses": 0}


async def test_training_job_gate_activation_and_rollback(start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(gate_folds=2)
    admin = await token_of(gateway, "Mio", role="admin")
    before = (await api(gateway, "GET", "/api/admin/models", admin))[1]
    first_version = before["active"]
    assert first_version == gateway.ctx.bot.current.version
    assert (await bot_answer(gateway, "Where is my order?"))["visitor"]["intent"] == "order_status"

    # A new intent, trained and activated: the bot answers it within seconds.
    new = {"name": "gift_wrapping",
           "responses": {"ja": "ギフト包装は1点200円で承ります。",
                         "en": "Gift wrapping costs 200 yen per item."},
           "examples": [{"locale": "ja", "text": t} for t in (
               "ギフト包装はできますか", "プレゼント用に包装してほしい",
               "ラッピングをお願いできますか", "贈り物用にラッピングしてください",
               "ギフトラッピングの料金は")] + [
               {"locale": "en", "text": t} for t in (
               "Can you gift wrap my order?", "Do you offer gift wrapping?",
               "Please wrap it as a present", "How much is gift wrapping?",
               "I want this wrapped as a gift")]}
    assert (await api(gateway, "POST", "/api/admin/intents", admin, new))[0] == 200
    status, body = await api(gateway, "POST", "/api/admin/train", admin, {})
    assert status == 200 and body["job"]["state"] in ("queued", "running")
    status, other = await api(gateway, "POST", "/api/admin/train", admin, {})
    assert status == 409 and other["error"] == "conflict"
    job, seen = await wait_for_job(gateway, admin, body["job"]["id"])
    assert job["state"] == "done", job
    stages = [s for s, _ in seen]
    assert "cross_validating" in stages and stages[-1] == "done"
    assert [p for _, p in seen] == sorted(p for _, p in seen)
    listing = (await api(gateway, "GET", "/api/admin/models", admin))[1]
    candidate = next(m for m in listing["models"] if m["version"] == job["version"])
    report = candidate["report"]
    assert report["passed"] is True and report["active_version"] == first_version
    assert report["candidate"]["accuracy_by_language"].keys() == {"ja", "en"}
    assert report["active"]["in_scope_accuracy"] > 0.8
    assert any(row["intent"] == "gift_wrapping" for row in report["per_intent"])
    assert report["replay"]["messages"] >= 1
    status, body = await api(gateway, "POST",
                             f"/api/admin/models/{job['version']}/activate", admin, {})
    assert status == 200 and body["active"] == job["version"]
    await until(lambda: gateway.ctx.bot.current.version == job["version"], 5.0)
    answer = await bot_answer(gateway, "プレゼント用にラッピングできますか")
    assert answer["visitor"]["intent"] == "gift_wrapping"
    assert "ギフト包装" in answer["reply"]["text"]

    # Rollback to the first version needs no reason and restores the old answers.
    status, body = await api(gateway, "POST", f"/api/admin/models/{first_version}/activate",
                             admin, {})
    assert status == 200
    await until(lambda: gateway.ctx.bot.current.version == first_version, 5.0)
    answer = await bot_answer(gateway, "プレゼント用にラッピングできますか")
    assert answer["visitor"]["intent"] != "gift_wrapping"
    entries = (await api(gateway, "GET", "/api/admin/audit", admin))[1]["entries"]
    assert [e["action"] for e in entries[:2]] == ["model.rollback", "model.activate"]


async def test_the_gate_refuses_broken_labels_unless_given_a_reason(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(gate_folds=2)
    admin = await token_of(gateway, "Mio", role="admin")
    active = (await api(gateway, "GET", "/api/admin/models", admin))[1]["active"]
    await break_labels(gateway)
    status, body = await api(gateway, "POST", "/api/admin/train", admin, {})
    job, _ = await wait_for_job(gateway, admin, body["job"]["id"])
    assert job["state"] == "done", job
    listing = (await api(gateway, "GET", "/api/admin/models", admin))[1]
    report = next(m for m in listing["models"] if m["version"] == job["version"])["report"]
    assert report["passed"] is False and "accuracy" in report["reasons"][0]
    assert report["candidate"]["in_scope_accuracy"] < report["active"]["in_scope_accuracy"] - 0.01
    assert any(row["regression"] for row in report["per_intent"])

    path = f"/api/admin/models/{job['version']}/activate"
    status, body = await api(gateway, "POST", path, admin, {})
    assert status == 409 and body["error"] == "gate_refused" and body["report"]["passed"] is False
    assert (await api(gateway, "GET", "/api/admin/models", admin))[1]["active"] == active
    assert gateway.ctx.bot.current.version == active
    status, body = await api(gateway, "POST", path, admin, {"reason": "testing the override"})
    assert status == 200
    entry = (await api(gateway, "GET", "/api/admin/audit?action=model.activate", admin))[1][
        "entries"][0]
    assert entry["reason"] == "testing the override" and entry["target"] == job["version"]


async def break_labels(gateway: Gateway) -> None:
    """Shuffle most examples among intents, as a careless bulk edit would."""
    import random

    from sqlalchemy import select, update

    from live_chat.store.models import BotExample

    rng = random.Random(7)
    async with gateway.ctx.store.begin() as tx:
        rows = (await tx.session.execute(select(BotExample.id, BotExample.intent))).all()
        intents = sorted({intent for _, intent in rows})
        for example_id, _ in rows:
            if rng.random() < 0.6:
                await tx.session.execute(update(BotExample).where(BotExample.id == example_id)
                                         .values(intent=rng.choice(intents)))


async def until(condition: Any, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"not true within {timeout} s")
        await asyncio.sleep(0.05)


async def test_an_agent_flags_a_message_for_the_inbox(gateway: Gateway) -> None:
    from tests.live_chat.test_agent_protocol import agent, waiting_visitor

    holder = await agent(gateway, "Hanako")
    bystander = await token_of(gateway, "Taro")
    admin = await token_of(gateway, "Mio", role="admin")
    visitor = await waiting_visitor(gateway, "Can I collect my order at the station kiosk?")
    assigned = await holder.next("assigned")
    question = assigned["messages"][0]
    assert question["sender"] == "visitor"
    path = f"/api/messages/{question['id']}/flag"
    status, body = await api(gateway, "POST", path, bystander, {})
    assert status == 403 and body["error"] == "forbidden"
    status, body = await api(gateway, "POST", path, holder.token, {"intent": "order_status"})
    assert status == 200, body
    assert (await api(gateway, "POST", "/api/messages/nope/flag", holder.token, {}))[0] == 404
    groups = (await api(gateway, "GET", "/api/admin/unmatched", admin))[1]["groups"]
    flagged = [e for g in groups for e in g["examples"] if e["message_id"] == question["id"]]
    assert flagged and flagged[0]["reason"] == "flagged"
    group = next(g for g in groups if any(e["message_id"] == question["id"] for e in g["examples"]))
    assert group["suggested_intent"] == "order_status"
    # Ignored: it leaves the inbox, with an audit entry.
    status, body = await api(gateway, "POST", "/api/admin/unmatched/ignore", admin,
                             {"message_ids": [question["id"]]})
    assert status == 200 and body["ignored"] == 1
    groups = (await api(gateway, "GET", "/api/admin/unmatched", admin))[1]["groups"]
    assert all(e["message_id"] != question["id"] for g in groups for e in g["examples"])
    await visitor.disconnect()
    await holder.disconnect()


async def test_labelling_a_group_of_identical_messages_empties_it(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Mio", role="admin")
    asked = [await bot_answer(gateway, "Can I pay with bitcoin at the counter?") for _ in range(3)]
    ids = [a["visitor"]["id"] for a in asked]
    status, body = await api(gateway, "POST", "/api/admin/examples", admin,
                             {"intent": "payment_methods", "message_ids": ids})
    assert status == 200 and len(body["added"]) == 1
    assert [s["reason"] for s in body["skipped"]] == ["duplicate", "duplicate"]
    groups = (await api(gateway, "GET", "/api/admin/unmatched", admin))[1]["groups"]
    assert not {e["message_id"] for g in groups for e in g["examples"]} & set(ids)


async def test_an_oversized_body_gets_a_json_error_and_a_large_import_is_read_whole(
    gateway: Gateway,
) -> None:
    admin = await token_of(gateway, "Mio", role="admin")
    status, body = await api(gateway, "POST", "/api/admin/intents", admin,
                             {"name": "big", "responses": {"en": "x" * 100_000}})
    assert status == 400 and body["error"] == "too_long"
    # An import larger than the chat's packet limit, sent in many chunks.
    lines = "".join(f"    - question number {i} about parcel lockers\n" for i in range(4000))
    content = f"nlu:\n- intent: parcel_lockers\n  examples: |\n{lines}"
    assert len(content) > 150_000
    status, body = await api(gateway, "POST", "/api/admin/import", admin,
                             {"files": [{"name": "nlu.yml", "content": content}]})
    assert status == 200, body
    assert body["imported"]["examples"] == 4000
