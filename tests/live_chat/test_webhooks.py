"""Outbound webhooks against a real HTTP receiver the test starts on loopback.

A visitor's chat (python-socketio clients on a real gateway) escalates, is
assigned, closed and rated: the receiver gets the events in order, each
signed so that the receiver-side check accepts it and refuses a changed
body, another secret or an old timestamp. A receiver that fails gets the
delivery on a retry, the pauses between attempts doubling, and a later event
waits for that retry; one that keeps failing leaves a failed delivery in the
log, which a replay sends again. Slack's and Teams' format on escalation; the outbox
and the deliveries survive a restart; two processes on one PostgreSQL send
each delivery once, one at a time per subscription.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from live_chat.api_shapes import (
    DeliveriesOut,
    DeliveryOneOut,
    ReplayOut,
    WebhookCreatedOut,
    WebhookOneOut,
    WebhooksOut,
)
from live_chat.settings import ConfigError, Settings
from live_chat.store.models import WebhookDelivery, WebhookOutbox
from live_chat.store.retention import forget_visitor
from live_chat.webhooks.delivery import BATCH
from live_chat.webhooks.routes import WEBHOOKS
from live_chat.webhooks.signing import HEADER, verify
from live_chat.webhooks.targets import RefusedUrl, check_url
from tests.clients import cid, login
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.admin.test_admin_api import api, token_of
from tests.live_chat.test_agent_protocol import PASSWORD, agent, waiting_visitor

LIFECYCLE = ["conversation.created", "escalated", "assigned", "closed", "csat"]
PUBLIC_URL = "https://chat.shop.example"
# Loopback receivers need private addresses allowed; polls and retries are fast.
FAST = {"webhook_allow_private": True, "webhook_poll_s": 0.05, "webhook_retry_s": 0.05,
        "public_url": PUBLIC_URL}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on loopback that records every POST; ``failures`` answer 500 first."""

    url: str = ""
    failures: int = 0
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self.arrived:
            self.requests.append(Received(request.path, dict(request.headers), body))
            self.arrived.notify_all()
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500, text="receiver is down")
        return web.Response(status=204)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, once they have come."""
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: len(self.requests) >= count), timeout)
        return self.requests[:count]

    async def wait_for_event(self, event: str, timeout: float = 10.0) -> Received:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(
                lambda: any(r.json.get("event") == event for r in self.requests)), timeout)
        return next(r for r in self.requests if r.json.get("event") == event)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    # The gateway's client may still keep a connection open: do not wait for it.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield found
    await runner.cleanup()


async def subscribe(gateway: Gateway, token: str, url: str, events: list[str],
                    **extra: Any) -> tuple[str, str]:
    """Create a subscription through the admin API: its id and secret."""
    status, body = await api(gateway, "POST", "/api/admin/webhooks", token,
                             {"url": url, "events": events, **extra})
    assert status == 200, body
    WebhookCreatedOut.model_validate(body)  # what the OpenAPI document promises
    return body["webhook"]["id"], body["secret"]


async def deliveries(gateway: Gateway, token: str, query: str = "") -> list[dict[str, Any]]:
    status, body = await api(gateway, "GET", f"/api/admin/webhook-deliveries{query}", token)
    assert status == 200, body
    DeliveriesOut.model_validate(body)
    return list(body["deliveries"])


async def until_logged(gateway: Gateway, token: str, query: str, check: Any,
                       timeout: float = 10.0) -> list[dict[str, Any]]:
    """The log once ``check(log)`` holds (the worker records an attempt just after it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        log = await deliveries(gateway, token, query)
        if check(log):
            return log
        assert loop.time() < deadline, log
        await asyncio.sleep(0.02)


async def test_a_chat_posts_its_events_in_order_signed(
        start_gateway: GatewayFactory, database_url: str | None, receiver: Receiver) -> None:
    gateway = await start_gateway(database_url=database_url, **FAST)
    admin = await token_of(gateway, "Aiko", role="admin")
    _, secret = await subscribe(gateway, admin, receiver.url + "/hooks", LIFECYCLE)
    messages_id, messages_secret = await subscribe(gateway, admin, receiver.url + "/messages",
                                                   ["message.created"])
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway, "Where is my order 4711?")
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    await hanako.call("message", {"conversation_id": conversation_id, "client_id": cid(),
                                  "text": "It ships tomorrow."})
    closed = await hanako.call("close", {"conversation_id": conversation_id,
                                         "resolution": "answered"})
    assert closed["ok"], closed
    await visitor.next_where("status", lambda s: s["state"] == "closed")
    assert (await visitor.call("csat", {"score": 5, "comment": "quick"}))["ok"]

    await receiver.wait_for_event("csat")
    hooks = [r for r in receiver.requests if r.path == "/hooks"]
    assert [r.json["event"] for r in hooks] == LIFECYCLE
    for request in hooks:
        assert request.json["conversation"]["id"] == conversation_id
        assert request.headers["X-Tsunagu-Event"] == request.json["event"]
        assert verify(secret, request.body, request.headers[HEADER])
    by_event = {r.json["event"]: r.json for r in hooks}
    assert by_event["escalated"]["data"]["intent"] == "request_human"
    assert by_event["assigned"]["data"]["agent"]["name"] == "Hanako"
    assert by_event["closed"]["data"]["resolution"] == "answered"
    assert by_event["csat"]["data"] == {"score": 5, "comment": "quick"}
    assert by_event["escalated"]["conversation"]["url"] == (
        f"{PUBLIC_URL}/console#conversation={conversation_id}")

    # What the receiver's check refuses: another body, another secret, an old request.
    sample = hooks[1]
    header = sample.headers[HEADER]
    assert not verify(secret, sample.body.replace(b"request_human", b"request_robot"), header)
    assert not verify("whsec_someone-else-entirely", sample.body, header)
    stamp = int(header.split(",")[0].removeprefix("t="))
    assert verify(secret, sample.body, header, now=stamp + 299)
    assert not verify(secret, sample.body, header, now=stamp + 301)
    assert not verify(secret, sample.body, "t=1,v1=00")

    # Every message, visitor's, bot's and agent's, in order, signed with its own secret.
    texts = await _message_texts(receiver, messages_secret, "It ships tomorrow.")
    assert texts[0] == "Where is my order 4711?"
    assert texts.index("Where is my order 4711?") < texts.index("It ships tomorrow.")

    log = await until_logged(gateway, admin, f"?subscription={messages_id}",
                             lambda log: all(d["status"] == "delivered" for d in log))
    assert {(d["attempts"], d["status_code"], d["last_error"]) for d in log} == {(1, 204, None)}
    assert len(log) == len(texts)
    for client in (visitor, hanako):
        await client.disconnect()


async def _message_texts(receiver: Receiver, secret: str, last: str) -> list[str]:
    async with receiver.arrived:
        await asyncio.wait_for(receiver.arrived.wait_for(lambda: any(
            r.path == "/messages" and r.json["data"]["message"]["text"] == last
            for r in receiver.requests)), 10)
    posted = [r for r in receiver.requests if r.path == "/messages"]
    assert all(verify(secret, r.body, r.headers[HEADER]) for r in posted)
    return [r.json["data"]["message"]["text"] for r in posted]


async def test_a_receiver_that_fails_then_recovers_gets_the_event_on_a_retry(
        start_gateway: GatewayFactory, receiver: Receiver) -> None:
    gateway = await start_gateway(**FAST)
    admin = await token_of(gateway, "Aiko", role="admin")
    subscription_id, secret = await subscribe(gateway, admin, receiver.url, ["escalated"])
    receiver.failures = 2
    visitor = await waiting_visitor(gateway)
    attempts = await receiver.wait_for(3)
    assert len({r.json["id"] for r in attempts}) == 1  # the same event three times
    assert all(verify(secret, r.body, r.headers[HEADER]) for r in attempts)
    log = await until_logged(gateway, admin, f"?subscription={subscription_id}",
                             lambda log: log and log[0]["status"] == "delivered")
    assert len(log) == 1
    assert (log[0]["attempts"], log[0]["status_code"], log[0]["last_error"]) == (3, 204, None)
    await visitor.disconnect()


async def test_a_failed_delivery_is_in_the_log_and_a_replay_sends_it_again(
        start_gateway: GatewayFactory, receiver: Receiver) -> None:
    gateway = await start_gateway(webhook_max_attempts=2, **FAST)
    admin = await token_of(gateway, "Aiko", role="admin")
    subscription_id, secret = await subscribe(gateway, admin, receiver.url, ["escalated"])
    receiver.failures = 100
    visitor = await waiting_visitor(gateway)
    await receiver.wait_for(2)
    [failed] = await until_logged(gateway, admin, "?status=failed",
                                  lambda log: len(log) == 1)
    assert (failed["attempts"], failed["status_code"]) == (2, 500)
    assert failed["last_error"].startswith("HTTP 500: receiver is down")
    assert failed["next_attempt_at"] is None and failed["delivered_at"] is None
    assert await deliveries(gateway, admin, "?status=pending") == []

    receiver.failures = 0
    status, body = await api(gateway, "POST",
                             f"/api/admin/webhook-deliveries/{failed['id']}/replay", admin)
    assert status == 200, body
    ReplayOut.model_validate(body)
    replay_id = body["delivery"]["id"]
    assert body["delivery"]["replay_of"] == failed["id"]
    [_, _, replayed] = await receiver.wait_for(3)
    assert replayed.body == receiver.requests[0].body  # the same bytes, signed anew
    assert verify(secret, replayed.body, replayed.headers[HEADER])
    await until_logged(gateway, admin, "?status=delivered",
                       lambda log: [d["id"] for d in log] == [replay_id])
    status, body = await api(gateway, "GET", f"/api/admin/webhook-deliveries/{replay_id}",
                             admin)
    assert status == 200 and json.loads(body["delivery"]["body"])["event"] == "escalated"
    DeliveryOneOut.model_validate(body)
    # The original stays failed in the log; both are the subscription's.
    log = await deliveries(gateway, admin, f"?subscription={subscription_id}")
    assert [(d["id"], d["status"]) for d in log] == [(replay_id, "delivered"),
                                                     (failed["id"], "failed")]
    # Bodies quote the visitor: forgetting them forgets their deliveries.
    assert (await visitor.call("close", {}))["ok"]
    await visitor.disconnect()
    await forget_visitor(gateway.ctx.store, visitor.session["visitor_id"],
                         gateway.ctx.attachments.blobs)
    assert await deliveries(gateway, admin) == []


async def test_slack_hears_of_an_escalation_with_a_link_to_the_chat(
        start_gateway: GatewayFactory, receiver: Receiver) -> None:
    gateway = await start_gateway(slack_webhook_url=receiver.url + "/slack", **FAST)
    admin = await token_of(gateway, "Aiko", role="admin")
    await subscribe(gateway, admin, receiver.url + "/teams", ["escalated"], kind="teams")
    visitor = await waiting_visitor(gateway, "<!channel> my order & <b>parcel</b>")
    await receiver.wait_for(2)
    [posted] = [r for r in receiver.requests if r.path == "/slack"]
    assert posted.headers["Content-Type"] == "application/json"
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.open_conversation(visitor.session["visitor_id"])
    assert conversation is not None
    text = posted.json["text"]
    assert set(posted.json) == {"text"}
    assert text.startswith("A visitor is waiting for a person (topic: request_human).")
    # The visitor's words cannot ping the channel or make links.
    assert "&lt;!channel&gt; my order &amp; &lt;b&gt;parcel&lt;/b&gt;" in text
    assert "<!channel>" not in text
    assert f"<{PUBLIC_URL}/console#conversation={conversation.id}|Open the chat>" in text
    # Teams: a Markdown link, and the visitor's words cannot make one either.
    [teams] = [r for r in receiver.requests if r.path == "/teams"]
    teams_text = teams.json["text"]
    assert f"[Open the chat]({PUBLIC_URL}/console#conversation={conversation.id})" in teams_text
    assert "&lt;b&gt;parcel&lt;/b&gt;" in teams_text and "<b>" not in teams_text

    # The setting's subscription is listed, and only the setting changes it.
    status, body = await api(gateway, "GET", "/api/admin/webhooks", admin)
    assert status == 200
    [slack] = [w for w in body["webhooks"] if w["kind"] == "slack"]
    assert (slack["kind"], slack["source"], slack["events"]) == ("slack", "setting",
                                                                 ["escalated"])
    assert "secret" not in slack
    status, body = await api(gateway, "DELETE", f"/api/admin/webhooks/{slack['id']}", admin)
    assert status == 409 and body["error"] == "conflict"
    await visitor.disconnect()


async def test_accepted_events_survive_a_restart(
        start_gateway: GatewayFactory, tmp_path: Any, receiver: Receiver) -> None:
    data_dir = tmp_path / "kept"
    # The first process never looks for work after its start: the events wait in the outbox.
    first = await start_gateway(data_dir=data_dir, **{**FAST, "webhook_poll_s": 3600})
    admin = await token_of(first, "Aiko", role="admin")
    _, secret = await subscribe(first, admin, receiver.url, ["conversation.created",
                                                             "escalated"])
    visitor = await waiting_visitor(first)
    await visitor.disconnect()
    async with first.ctx.store.begin() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(WebhookOutbox)) == 2
    await first.runner.cleanup()
    assert receiver.requests == []
    await start_gateway(data_dir=data_dir, **FAST)
    posted = await receiver.wait_for(2)
    assert [r.json["event"] for r in posted] == ["conversation.created", "escalated"]
    assert all(verify(secret, r.body, r.headers[HEADER]) for r in posted)


async def test_without_subscriptions_nothing_is_queued(gateway: Gateway) -> None:
    visitor = await waiting_visitor(gateway)
    await visitor.disconnect()
    async with gateway.ctx.store.begin() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(WebhookOutbox)) == 0
        assert await tx.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_two_processes_on_one_postgresql_send_each_delivery_once(
        start_gateway: GatewayFactory, pg_url: str, receiver: Receiver) -> None:
    first = await start_gateway(database_url=pg_url, **FAST)
    await start_gateway(database_url=pg_url, **FAST)
    admin = await token_of(first, "Aiko", role="admin")
    await subscribe(first, admin, receiver.url, ["conversation.created"])
    count = 40
    for _ in range(count):
        async with first.ctx.store.begin() as tx:
            visitor = await tx.add_visitor(locale="en", page_url=None)
            await tx.add_conversation(visitor.id, locale="en")
    await receiver.wait_for(count)
    await until_logged(first, admin, "?status=delivered&limit=200",
                       lambda log: len(log) == count)
    await asyncio.sleep(0.3)  # a second copy, if any process sent one, would be here by now
    ids = [r.json["id"] for r in receiver.requests]
    assert len(ids) == count and len(set(ids)) == count


async def test_only_admins_manage_webhooks_and_bad_urls_are_refused(
        start_gateway: GatewayFactory) -> None:
    # Private addresses not allowed here (the default), and an allow-list.
    gateway = await start_gateway(webhook_allowed_hosts=("hooks.example.com", ".crm.example"))
    admin = await token_of(gateway, "Aiko", role="admin")
    plain = await token_of(gateway, "Ren")
    valid = {"url": "https://hooks.example.com/in", "events": ["escalated"]}
    for method, path, body in [("GET", "/api/admin/webhooks", None),
                               ("POST", "/api/admin/webhooks", valid),
                               ("PUT", "/api/admin/webhooks/x", {"active": False}),
                               ("DELETE", "/api/admin/webhooks/x", None),
                               ("GET", "/api/admin/webhook-deliveries", None),
                               ("GET", "/api/admin/webhook-deliveries/1", None),
                               ("POST", "/api/admin/webhook-deliveries/1/replay", None)]:
        assert (await api(gateway, method, path, None, body))[0] == 401, path
        status, answer = await api(gateway, method, path, plain, body)
        assert (status, answer["error"]) == (403, "forbidden"), path
    # The console's cookie without the CSRF header changes nothing.
    status, body, cookies = await login(gateway.url, "aiko@example.com", PASSWORD)
    async with aiohttp.ClientSession(cookies=cookies) as http, http.post(
            f"{gateway.url}/api/admin/webhooks", json=valid) as response:
        assert response.status == 401
    async with aiohttp.ClientSession(cookies=cookies) as http, http.post(
            f"{gateway.url}/api/admin/webhooks", json=valid,
            headers={"X-CSRF-Token": body["csrf"]}) as response:
        assert response.status == 200

    # Each refusal names the field and a stable reason (the console words its message from it).
    for url, why, reason in [("ftp://hooks.example.com/in", "http", "not_url"),
                             ("https://user:pw@hooks.example.com/in", "password", "credentials"),
                             ("https://evil.example.net/in", "ALLOWED_HOSTS", "host_not_allowed"),
                             ("not a url", "http", "not_url")]:
        status, answer = await api(gateway, "POST", "/api/admin/webhooks", admin,
                                   {**valid, "url": url})
        assert (status, answer["error"]) == (400, "invalid"), url
        assert why in answer["message"], answer
        assert (answer["field"], answer["reason"]) == ("url", reason), answer
    status, answer = await api(gateway, "POST", "/api/admin/webhooks", admin,
                               {**valid, "events": ["escalated", "exploded"]})
    assert status == 400 and "exploded" in answer["message"]
    status, answer = await api(gateway, "POST", "/api/admin/webhooks", admin,
                               {**valid, "secret": "short"})
    assert status == 400 and answer["error"] == "invalid"

    # The secret is given (or made) and shown once; the listing shows its end only.
    mine = "s3cret-of-at-least-16-chars"
    status, created = await api(gateway, "POST", "/api/admin/webhooks", admin,
                                {**valid, "url": "https://a.crm.example/x", "secret": mine,
                                 "events": ["closed", "escalated", "closed"]})
    assert status == 200 and created["secret"] == mine
    assert created["webhook"]["events"] == ["escalated", "closed"]
    status, listing = await api(gateway, "GET", "/api/admin/webhooks", admin)
    shown = {w["id"]: w for w in listing["webhooks"]}[created["webhook"]["id"]]
    assert shown["secret_hint"] == "…hars" and mine not in json.dumps(listing)
    path = f"/api/admin/webhooks/{shown['id']}"
    status, changed = await api(gateway, "PUT", path, admin, {"active": False})
    assert status == 200 and changed["webhook"]["active"] is False
    WebhookOneOut.model_validate(changed)
    WebhooksOut.model_validate(listing)
    status, _ = await api(gateway, "PUT", path, admin, {"url": "http://10.0.0.5/x"})
    assert status == 400
    assert (await api(gateway, "DELETE", path, admin))[0] == 200
    assert (await api(gateway, "DELETE", path, admin))[0] == 404
    status, audit = await api(gateway, "GET", "/api/admin/audit?target=" + shown["id"], admin)
    assert [e["action"] for e in audit["entries"]] == ["webhook.delete", "webhook.update",
                                                       "webhook.create"]


def test_internal_addresses_are_refused_unless_allowed() -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "http://127.0.0.1:8080/x",
                "http://localhost/x", "http://[::1]/x", "http://[::ffff:10.0.0.1]/x",
                "https://192.168.1.10/x", "http://0.0.0.0/x"):
        with pytest.raises(RefusedUrl, match="ALLOW_PRIVATE") as refused:
            check_url(url, allow_private=False)
        assert refused.value.reason == "private_address"
        assert check_url(url, allow_private=True) == url
    assert check_url("https://hooks.slack.com/services/T/B/X", allow_private=False)


async def _conversation_created(gateway: Gateway) -> str:
    """A conversation opened straight in the record (its ``conversation.created``); its id."""
    async with gateway.ctx.store.begin() as tx:
        visitor = await tx.add_visitor(locale="en", page_url=None)
        conversation = await tx.add_conversation(visitor.id, locale="en")
    return conversation.id


async def test_a_later_event_waits_for_the_retry_of_an_earlier_one(
        start_gateway: GatewayFactory, database_url: str | None, receiver: Receiver) -> None:
    # A retry 0.5 s away: long enough for e2 to overtake e1 if nothing held it back.
    gateway = await start_gateway(database_url=database_url,
                                  **{**FAST, "webhook_retry_s": 0.5})
    admin = await token_of(gateway, "Aiko", role="admin")
    subscription_id, _ = await subscribe(gateway, admin, receiver.url, ["conversation.created"])
    receiver.failures = 1
    first = await _conversation_created(gateway)
    await receiver.wait_for(1)  # e1's first attempt, answered 500
    second = await _conversation_created(gateway)
    posted = await receiver.wait_for(3)
    assert [r.json["conversation"]["id"] for r in posted] == [first, first, second]
    log = await until_logged(gateway, admin, f"?subscription={subscription_id}",
                             lambda log: [d["status"] for d in log] == ["delivered"] * 2)
    assert [d["attempts"] for d in log] == [1, 2]


async def test_after_the_final_failure_the_next_events_go(
        start_gateway: GatewayFactory, receiver: Receiver) -> None:
    gateway = await start_gateway(webhook_max_attempts=2, **FAST)
    admin = await token_of(gateway, "Aiko", role="admin")
    await subscribe(gateway, admin, receiver.url, ["conversation.created"])
    receiver.failures = 2
    first = await _conversation_created(gateway)
    await receiver.wait_for(1)
    second = await _conversation_created(gateway)
    posted = await receiver.wait_for(3)
    assert [r.json["conversation"]["id"] for r in posted] == [first, first, second]
    await until_logged(gateway, admin, "", lambda log: [d["status"] for d in log] == [
        "delivered", "failed"])


async def test_two_processes_never_post_one_subscription_side_by_side(
        start_gateway: GatewayFactory, pg_url: str) -> None:
    """Events trickle in while a slow receiver answers: whichever process claims them,
    the subscription's posts go one at a time, in the order of the events."""
    in_flight = 0
    most = 0
    seen: list[str] = []
    all_seen = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        seen.append((await request.json())["conversation"]["id"])
        await asyncio.sleep(0.03)
        in_flight -= 1
        if len(seen) >= 30:
            all_seen.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/", slow)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        first = await start_gateway(database_url=pg_url, **{**FAST, "webhook_poll_s": 0.02})
        second = await start_gateway(database_url=pg_url, **{**FAST, "webhook_poll_s": 0.02})
        admin = await token_of(first, "Aiko", role="admin")
        await subscribe(first, admin, f"http://127.0.0.1:{runner.addresses[0][1]}/",
                        ["conversation.created"])
        made = []
        for index in range(30):
            made.append(await _conversation_created(first if index % 2 else second))
            await asyncio.sleep(0.01)
        await asyncio.wait_for(all_seen.wait(), 15)
        assert (most, seen) == (1, made)
    finally:
        await runner.cleanup()


async def test_the_timeout_is_at_most_a_minute_and_a_claim_outlasts_a_whole_pass(
        start_gateway: GatewayFactory, tmp_path: Any) -> None:
    # A day-long timeout would let 50 slow posts outlast any fixed claim: another
    # process would take them again while the first still posts (duplicates).
    with pytest.raises(ConfigError, match="TSUNAGU_WEBHOOK_TIMEOUT must be at most 60"):
        Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path), "TSUNAGU_WEBHOOK_TIMEOUT": "86400"})
    gateway = await start_gateway(webhook_timeout_s=60.0)
    worker = gateway.app[WEBHOOKS].worker
    assert worker.claim_s > BATCH * 60.0


async def test_the_pause_between_attempts_doubles(
        start_gateway: GatewayFactory, receiver: Receiver) -> None:
    """TSUNAGU_WEBHOOK_RETRY, then twice as long each time: 0.15, 0.3, 0.6 s here."""
    base = 0.15
    gateway = await start_gateway(**{**FAST, "webhook_retry_s": base, "webhook_poll_s": 0.02})
    admin = await token_of(gateway, "Aiko", role="admin")
    await subscribe(gateway, admin, receiver.url, ["conversation.created"])
    receiver.failures = 3
    await _conversation_created(gateway)
    arrived = [r.at for r in await receiver.wait_for(4)]
    pauses = [later - earlier for earlier, later in pairwise(arrived)]
    for n, pause in enumerate(pauses):
        # Never before its time; late by at most a poll and the writes around an attempt.
        assert base * 2 ** n <= pause < base * 2 ** n + 0.12, pauses
