"""``GET /metrics``: a real gateway scraped after a chat, its text read with
prometheus_client's own parser (Prometheus's text format), figures checked to
move as the chat did."""

from __future__ import annotations

import os

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.clients import cid
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import agent, waiting_visitor

TOKEN = "metrics-token-0123456789"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(gateway: Gateway, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/metrics",
                                                         headers=headers) as response:
        return response.status, await response.text()


async def samples(gateway: Gateway) -> Samples:
    status, text = await scrape(gateway)
    assert status == 200, text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def total(found: Samples, name: str) -> float:
    return sum(v for (sample, _), v in found.items() if sample == name)


async def test_a_chat_moves_the_counters_gauges_and_histograms(
        start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(metrics_token=TOKEN)
    assert (await scrape(gateway, None))[0] == 401
    assert (await scrape(gateway, "wrong-token-0123456789"))[0] == 401
    before = await samples(gateway)
    assert value(before, "tsunagu_queue_length") == 0
    assert value(before, "tsunagu_handoff_up") == 1

    # The visitor writes twice (the bot answers each), then asks for a person.
    visitor = await gateway.visitor().connect()
    await visitor.send("hello", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    waiting = await waiting_visitor(gateway)
    during = await samples(gateway)
    assert value(during, "tsunagu_messages_total", sender="visitor") == 2
    assert value(during, "tsunagu_messages_total", sender="bot") >= 2
    assert total(during, "tsunagu_bot_decisions_total") == 2
    assert value(during, "tsunagu_nlu_seconds_count") == 2
    # "I need a person": the bot escalates (the visitor's request_human then finds it queued).
    assert value(during, "tsunagu_bot_decisions_total", action="escalate") == 1
    assert value(during, "tsunagu_escalations_total", by="bot") == 1
    assert total(during, "tsunagu_escalations_total") == 1
    assert value(during, "tsunagu_queue_length") == 1
    assert value(during, "tsunagu_queue_oldest_wait_seconds") > 0
    assert value(during, "tsunagu_connected_sockets", namespace="visitor") == 2
    assert value(during, "tsunagu_connected_sockets", namespace="agent") == 0
    assert value(during, "tsunagu_db_query_seconds_count") > value(
        before, "tsunagu_db_query_seconds_count")
    # No Redis configured: no Redis command was timed.
    assert value(during, "tsunagu_redis_command_seconds_count") == 0

    # An agent comes online, takes the chat and answers.
    hanako = await agent(gateway, "Hanako")
    assigned = await hanako.next("assigned")
    ack = await hanako.call("message", {"conversation_id": assigned["conversation"]["id"],
                                        "client_id": cid(), "text": "How can I help?"})
    assert ack["ok"], ack
    after = await samples(gateway)
    assert value(after, "tsunagu_queue_length") == 0
    assert value(after, "tsunagu_queue_oldest_wait_seconds") == 0
    assert value(after, "tsunagu_agents_online") == 1
    assert value(after, "tsunagu_connected_sockets", namespace="agent") == 1
    assert value(after, "tsunagu_messages_total", sender="agent") == 1
    for client in (visitor, waiting, hanako):
        await client.disconnect()


async def test_without_the_token_setting_there_is_no_metrics_route(
        gateway: Gateway) -> None:
    assert (await scrape(gateway))[0] == 404


async def test_each_process_counts_its_own_and_reads_the_shared_queue(
        start_gateway: GatewayFactory, pg_url: str, redis_url: str) -> None:
    """Two processes on one Redis and PostgreSQL: a visitor waiting on one shows in
    both queue gauges; sockets and messages are counted where they are."""
    prefix = f"tsunagu-test-{os.urandom(4).hex()}:"
    shared = {"database_url": pg_url, "redis_url": redis_url, "metrics_token": TOKEN,
              "redis_channel": prefix + "channel", "handoff_prefix": prefix}
    one = await start_gateway(**shared)
    two = await start_gateway(**shared)
    visitor = await waiting_visitor(one)
    # A visitor asking for a person outright (no bot turn first).
    direct = await two.visitor().connect()
    assert (await direct.call("request_human", {}))["ok"]
    first, second = await samples(one), await samples(two)
    assert value(first, "tsunagu_queue_length") == value(second, "tsunagu_queue_length") == 2
    assert value(first, "tsunagu_connected_sockets", namespace="visitor") == 1
    assert value(second, "tsunagu_connected_sockets", namespace="visitor") == 1
    assert value(first, "tsunagu_messages_total", sender="visitor") == 1
    assert value(second, "tsunagu_messages_total", sender="visitor") == 0
    assert value(first, "tsunagu_escalations_total", by="bot") == 1
    assert value(second, "tsunagu_escalations_total", by="visitor") == 1
    assert value(second, "tsunagu_escalations_total", by="bot") == 0
    for process in (first, second):
        assert value(process, "tsunagu_redis_command_seconds_count") > 0
    await visitor.disconnect()
    await direct.disconnect()
