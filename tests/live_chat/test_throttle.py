"""Per-address limits (live_chat/throttle.py): sign-in attempts per address and per address
and e-mail, shared by the processes of a deployment and fair behind a trusted reverse proxy;
new visitors per address."""

from __future__ import annotations

import os
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import func, select

from live_chat.store.models import Visitor
from tests.clients import cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent


async def attempt(gateway: Gateway, email: str, password: str = "wrong",
                  forwarded: str | None = None) -> int:
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
                              "handoff_prefix": prefix}
    one = await start_gateway(**shared)
    two = await start_gateway(**shared, data_dir=one.ctx.settings.data_dir)
    email = await add_agent(one, "Hanako")
    assert [await attempt(one, email) for _ in range(10)] == [401] * 10
    assert await attempt(two, email) == 429


async def test_behind_a_trusted_proxy_each_client_has_its_own_count(start_gateway) -> None:
    """Before, every client behind a proxy shared its address: anyone hammering an
    agent's e-mail locked the agent out."""
    gateway = await start_gateway(trusted_proxies=("127.0.0.1",))
    email = await add_agent(gateway, "Hanako")
    attacker = [await attempt(gateway, email, forwarded="203.0.113.9") for _ in range(12)]
    assert attacker[:10] == [401] * 10 and set(attacker[10:]) == {429}
    assert await attempt(gateway, email, PASSWORD, forwarded="198.51.100.7") == 200
    # A client cannot pose as a proxy: the hops it writes before the proxy's are not read.
    spoofed = [await attempt(gateway, email, forwarded=f"10.0.0.{i}, 203.0.113.9")
               for i in range(3)]
    assert spoofed == [429] * 3


async def test_an_untrusted_peer_cannot_choose_its_address(gateway: Gateway) -> None:
    email = await add_agent(gateway, "Hanako")
    statuses = [await attempt(gateway, email, forwarded=f"10.0.0.{i}") for i in range(12)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}


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
