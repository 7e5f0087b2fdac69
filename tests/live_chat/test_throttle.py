"""Per-address limits (live_chat/throttle.py): sign-in attempts per address and per address
and e-mail, shared by the processes of a deployment and fair behind a trusted reverse proxy;
new visitors per address."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import func, select

from live_chat.store.models import Visitor
from live_chat.throttle import Throttles
from tests.clients import cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent, agent


async def attempt(gateway: Gateway, email: str, password: str = "wrong",
                  forwarded: str | None = None, *, address_free: bool = False) -> int:
    """One sign-in attempt's status; ``address_free``: from an address of its own
    (the gateway must trust 127.0.0.1 as a proxy for that to be read)."""
    if address_free:
        forwarded = f"192.0.2.{uuid.uuid4().int % 250}"
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/auth/login", json={"email": email, "password": password},
        headers=headers,
    ) as response:
        return response.status


async def test_one_address_cannot_guess_across_many_accounts(gateway: Gateway) -> None:
    """Before, 40 different e-mails from one address in a few seconds were all answered."""
    statuses = [await attempt(gateway, f"guess{i}@example.com") for i in range(40)]
    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}


async def test_processes_share_the_counts(start_gateway, redis_url: str) -> None:
    """Before, each process counted alone: N processes allowed N times the tries."""
    prefix = f"tsunagu-test-{os.urandom(4).hex()}:"
    shared: dict[str, Any] = {"redis_url": redis_url, "redis_channel": prefix + "channel",
                              "handoff_prefix": prefix, "trusted_proxies": ("127.0.0.1",)}
    one = await start_gateway(**shared)
    two = await start_gateway(**shared, data_dir=one.ctx.settings.data_dir)
    guesses = [await attempt(one, f"guess{i}@example.com", forwarded="203.0.113.9")
               for i in range(30)]
    assert guesses == [401] * 30
    assert await attempt(two, "one-more@example.com", forwarded="203.0.113.9") == 429
    # The account's back-off too: five wrong passwords on one, the sixth try waits on two.
    email = await add_agent(one, "Hanako")
    for _ in range(5):
        assert await attempt(one, email, address_free=True) == 401
    assert await attempt(two, email, PASSWORD, address_free=True) == 429


async def test_behind_a_trusted_proxy_each_client_has_its_own_count(start_gateway) -> None:
    """Before, every client behind a proxy shared its address: anyone guessing
    passwords locked everyone behind the proxy out."""
    gateway = await start_gateway(trusted_proxies=("127.0.0.1",))
    email = await add_agent(gateway, "Hanako")
    attacker = [await attempt(gateway, f"guess{i}@example.com", forwarded="203.0.113.9")
                for i in range(32)]
    assert attacker[:30] == [401] * 30 and set(attacker[30:]) == {429}
    assert await attempt(gateway, email, PASSWORD, forwarded="198.51.100.7") == 200
    # A client cannot pose as a proxy: the hops it writes before the proxy's are not read.
    spoofed = [await attempt(gateway, f"x{i}@example.com", forwarded=f"10.0.0.{i}, 203.0.113.9")
               for i in range(3)]
    assert spoofed == [429] * 3


async def test_an_untrusted_peer_cannot_choose_its_address(gateway: Gateway) -> None:
    statuses = [await attempt(gateway, f"guess{i}@example.com", forwarded=f"10.0.0.{i}")
                for i in range(32)]
    assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}


async def test_guessing_one_account_from_many_addresses_backs_off(start_gateway) -> None:
    """An account's wrong passwords, from anywhere, make its next try wait; the
    agent is delayed for the length of that wait, never locked out."""
    gateway = await start_gateway(trusted_proxies=("127.0.0.1",))
    email = await add_agent(gateway, "Hanako")
    wrong = [await attempt(gateway, email, forwarded=f"203.0.113.{i}") for i in range(8)]
    assert wrong == [401] * 5 + [429] * 3
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/auth/login", json={"email": email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    ) as response:
        assert response.status == 429
        retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    await asyncio.sleep(retry_after)
    assert await attempt(gateway, email, PASSWORD, forwarded="198.51.100.7") == 200
    # The right password cleared the count: the next typo is answered at once.
    assert await attempt(gateway, email, forwarded="198.51.100.7") == 401


def test_the_wait_doubles_and_is_capped() -> None:
    throttles = Throttles(None, "", new_visitors_per_minute=60)
    waits = []
    now = 1_000.0
    for _ in range(14):
        asyncio.run(throttles.sign_in_failed("Agent@Example.com ", now=now))
        waits.append(asyncio.run(throttles.sign_in_wait("agent@example.com", now=now)))
        now += 1
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    # Wrong passwords are forgotten after a quiet quarter of an hour.
    asyncio.run(throttles.sign_in_failed("agent@example.com", now=now + 900))
    assert asyncio.run(throttles.sign_in_wait("agent@example.com", now=now + 900)) == 0


async def test_a_visitors_tabs_on_two_processes_share_one_message_limit(
        start_gateway, redis_url: str) -> None:
    prefix = f"tsunagu-test-{os.urandom(4).hex()}:"
    shared: dict[str, Any] = {"redis_url": redis_url, "redis_channel": prefix + "channel",
                              "handoff_prefix": prefix, "rate_limit_messages": 4,
                              "rate_limit_window_s": 60.0}
    one = await start_gateway(**shared)
    two = await start_gateway(**shared, data_dir=one.ctx.settings.data_dir)
    async with one.visitor() as tab:
        async with two.visitor(token=tab.session["visitor_token"]) as other_tab:
            acks = []
            for i in range(4):
                acks.append(await tab.send(f"on one {i}", cid()))
                acks.append(await other_tab.send(f"on two {i}", cid()))
    assert [a["ok"] for a in acks] == [True] * 4 + [False] * 4
    assert {a["error"] for a in acks[4:]} == {"rate_limited"}


async def test_agent_events_are_limited(start_gateway) -> None:
    gateway = await start_gateway(agent_events_per_minute=5)
    hanako = await agent(gateway, "Hanako")
    acks = [await hanako.call("presence", {"status": "online"}) for _ in range(7)]
    await hanako.disconnect()
    assert [a["ok"] for a in acks] == [True] * 5 + [False] * 2
    assert {a["error"] for a in acks[5:]} == {"rate_limited"}


async def test_one_address_cannot_create_visitors_without_bound(start_gateway) -> None:
    """Before, 1,000 anonymous connects from one address in 5 s stored 1,000 visitors."""
    gateway = await start_gateway(new_visitors_per_minute=5)
    made = [await gateway.visitor().connect() for _ in range(5)]
    refused = gateway.visitor()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect()
    error = await refused.next("connect_error")
    assert "rate_limited" in str(error), error
    # A returning visitor (with their token) is not a new one: still welcome.
    token = made[0].session["visitor_token"]
    returning = await gateway.visitor(token=token).connect()
    assert returning.session["visitor_id"] == made[0].session["visitor_id"]
    # Connecting stores nothing; the first message stores the visitor, once
    # however many of their tabs write.
    assert await visitors_stored(gateway) == 0
    assert (await returning.send("hello", cid()))["ok"] is True
    assert (await made[0].send("again", cid()))["ok"] is True
    for client in [*made, returning]:
        await client.disconnect()
    assert await visitors_stored(gateway) == 1
    again = await gateway.visitor(token=token).connect()
    assert again.session["conversation"] is not None
    await again.disconnect()


async def visitors_stored(gateway: Gateway) -> int:
    async with gateway.ctx.store.begin() as tx:
        return await tx.session.scalar(select(func.count()).select_from(Visitor)) or 0
