"""The widget header's snapshot, the pre-chat form and the signed identity on the
wire: real gateways on loopback, python-socketio visitors and agents."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import socketio

from handoff import BusinessHours
from live_chat.site_status import SiteStatus, avatar_color, initials
from live_chat.store.models import Visitor
from tests.clients import AgentClient, VisitorClient, cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent

SECRET = "site-identity-secret"


def sign(user_id: str, name: str | None = None, email: str | None = None) -> str:
    """What a site's server computes (README, "Widget settings")."""
    text = user_id if name is None and email is None else f"{user_id}\n{name or ''}\n{email or ''}"
    return hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()


async def agent(gateway: Gateway, name: str, role: str = "agent") -> AgentClient:
    """An agent named ``name`` (spaces allowed) signed in on ``/agent``."""
    email = f"{name.split()[0].lower()}@example.com"
    await gateway.ctx.agents.create(email=email, name=name, password=PASSWORD, role=role)
    return await AgentClient.signed_in(gateway.url, email, PASSWORD)


async def logout(gateway: Gateway, token: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200


async def site(visitor: VisitorClient) -> dict[str, Any]:
    ack = await visitor.call("site", {})
    assert ack["ok"], ack
    return ack["site"]


async def eventually(check: Any, timeout: float = 5.0) -> Any:
    """Poll ``check()`` (async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_session_names_the_team_and_the_online_agents_come_and_go(start_gateway) -> None:
    gateway = await start_gateway(team_name="Hanamori Support")
    async with gateway.visitor() as visitor:
        first = visitor.session["site"]
        assert first["team_name"] == "Hanamori Support"
        assert first["agents"] == [] and first["open"] is True and first["opens_at"] is None
        assert first["prechat"] == {"fields": [], "required": []}

        hanako = await agent(gateway, "Hanako Sato")
        hanako_id = hanako.hello["agent"]["id"]
        expected = {"initials": "HS", "color": avatar_color(hanako_id), "name": "Hanako"}
        seen = await eventually(lambda: _agents_are(visitor, [expected]))
        assert seen, "the agent who signed in is not in the header"

        await logout(gateway, hanako.token)
        gone = await eventually(lambda: _agents_are(visitor, []))
        assert gone, "the agent who signed out is still in the header"
        await hanako.disconnect()


async def _agents_are(visitor: VisitorClient, expected: list[dict[str, Any]]) -> bool:
    return (await site(visitor))["agents"] == expected


async def test_at_most_three_avatars_and_names_can_be_hidden(start_gateway) -> None:
    gateway = await start_gateway(widget_agent_names="none")
    agents = [await agent(gateway, name) for name in ("Aoi", "Ben Kato", "Chie", "Dan")]
    async with gateway.visitor() as visitor:
        shown = (await eventually(lambda: _three(visitor)))
        assert len(shown) == 3
        assert all(a["name"] is None and len(a["initials"]) in (1, 2) for a in shown)
        assert all(a["color"].startswith("#") and "url" not in a for a in shown)
    for a in agents:
        await a.disconnect()


async def _three(visitor: VisitorClient) -> list[dict[str, Any]]:
    agents = (await site(visitor))["agents"]
    return agents if len(agents) == 3 else []


def test_initials() -> None:
    assert initials("Hanako Sato") == "HS"
    assert initials("佐藤 花子") == "佐花"
    assert initials("佐藤") == "佐"
    assert initials("  ") == "?"


async def test_reply_time_is_the_median_human_frt_and_omitted_with_too_little_data(
        start_gateway) -> None:
    gateway = await start_gateway()
    hanako = await agent(gateway, "Hanako")

    async def answered_after(delay: float) -> None:
        visitor = await gateway.visitor().connect()
        await visitor.send("hello", cid())
        await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert (await visitor.call("request_human", {}))["ok"]
        conversation = await visitor.next_where("status", lambda c: c["state"] == "assigned")
        await asyncio.sleep(delay)
        ack = await hanako.call("message", {"conversation_id": conversation["id"],
                                            "client_id": cid(), "text": "Hello, Hanako here"})
        assert ack["ok"], ack
        await visitor.disconnect()

    await asyncio.gather(answered_after(1.0), answered_after(2.0))
    async with gateway.visitor() as visitor:
        assert visitor.session["site"]["reply_time_s"] is None  # two replies: too few
    await answered_after(3.0)
    async with gateway.visitor() as visitor:
        # Read from the record once a minute: still the figure of a moment ago.
        assert visitor.session["site"]["reply_time_s"] is None
    ctx = gateway.ctx
    fresh = SiteStatus(ctx.settings, ctx.store, ctx.routing.backend)
    # The median of about 1, 2 and 3 seconds.
    assert 2 <= (await fresh.current())["reply_time_s"] <= 3
    await hanako.disconnect()


async def test_outside_business_hours_the_header_says_when_it_opens(start_gateway) -> None:
    # A one-hour window that began three hours ago (UTC, any weekday): closed now.
    start = datetime.now(UTC) - timedelta(hours=3)
    spec = f"mon-sun {start:%H}:00-{(start + timedelta(hours=1)):%H}:00"
    gateway = await start_gateway(business_hours=spec, timezone="UTC")
    async with gateway.visitor() as visitor:
        status = visitor.session["site"]
    assert status["open"] is False and status["timezone"] == "UTC"
    expected = BusinessHours.parse(spec, "UTC").next_opening(datetime.now(UTC))
    assert expected is not None
    assert datetime.fromisoformat(status["opens_at"]) == expected


async def test_http_snapshot_is_public_and_cacheable(start_gateway) -> None:
    gateway = await start_gateway(team_name="Hanamori Support", prechat_fields=("name", "email"),
                                  prechat_required=("email",))
    async with aiohttp.ClientSession() as http, http.get(
            f"{gateway.url}/api/widget/site", headers={"Origin": "https://shop.example"}
    ) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "public, max-age=30"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = await response.json()
    assert body["site"]["team_name"] == "Hanamori Support"
    assert body["site"]["prechat"] == {"fields": ["name", "email"], "required": ["email"]}


# -- the pre-chat form ---------------------------------------------------------------


async def test_prechat_profile_is_validated_stored_and_shown_to_the_agent(start_gateway) -> None:
    gateway = await start_gateway(prechat_fields=("name", "email"), prechat_required=("email",))
    hanako = await agent(gateway, "Hanako")
    async with gateway.visitor() as visitor:
        assert visitor.session["profile"] == {"name": None, "email": None, "identified": False}
        bad = await visitor.call("profile", {"name": "Taro", "email": "taro-at-example"})
        assert bad["ok"] is False and bad["error"] == "invalid"
        assert bad["message"].startswith("email: not an e-mail address")
        async with gateway.ctx.store.begin() as tx:  # nothing stored from a refused form
            assert await tx.visitor(visitor.session["visitor_id"]) is None

        ok = await visitor.call("profile", {"name": "  Taro   Yamada ",
                                            "email": "taro@example.com"})
        assert ok == {"ok": True, "profile": {"name": "Taro Yamada",
                                              "email": "taro@example.com",
                                              "identified": False}}
        await visitor.send("I need a person", cid())
        assert (await visitor.call("request_human", {}))["ok"]
        assigned = await hanako.next("assigned")
        assert assigned["visitor"]["name"] == "Taro Yamada"
        assert assigned["visitor"]["email"] == "taro@example.com"
        assert assigned["visitor"]["returning"] is False

    # The same browser (its token) reconnecting is told what it gave: no form again.
    token = visitor.session["visitor_token"]
    async with gateway.visitor(token=token) as again:
        assert again.session["profile"]["name"] == "Taro Yamada"
    await hanako.disconnect()


@pytest.mark.parametrize("payload, says", [
    ({"name": "x" * 101}, "name: at most 100 characters"),
    ({"name": "a\x07b"}, "name: must not contain control characters"),
    ({"email": 5}, "email:"),
    ({"email": "a@b"}, "email: not an e-mail address"),
    ("name", "expected a JSON object"),
])
async def test_bad_profiles_are_invalid(gateway: Gateway, payload: Any, says: str) -> None:
    async with gateway.visitor() as visitor:
        ack = await visitor.call("profile", payload)
        assert ack["ok"] is False and ack["error"] == "invalid" and says in ack["message"]


# -- identity ---------------------------------------------------------------------------


async def test_signed_identity_names_the_visitor_and_skips_the_form(start_gateway) -> None:
    gateway = await start_gateway(identity_secret=SECRET, prechat_fields=("name", "email"))
    hanako = await agent(gateway, "Hanako")
    identity = {"user_id": "customer-42", "name": "Keiko Mori", "email": "keiko@example.com",
                "hmac": sign("customer-42", "Keiko Mori", "keiko@example.com")}
    async with gateway.visitor(auth={"identity": identity, "locale": "en"}) as visitor:
        assert visitor.session["profile"] == {"name": "Keiko Mori", "email": "keiko@example.com",
                                              "identified": True}
        refused = await visitor.call("profile", {"name": "Someone Else"})
        assert refused["ok"] is False and refused["error"] == "forbidden"
        await visitor.send("I need a person", cid())
        assert (await visitor.call("request_human", {}))["ok"]
        assigned = await hanako.next("assigned")
    v = assigned["visitor"]
    assert (v["name"], v["email"], v["user_id"], v["identified"]) == (
        "Keiko Mori", "keiko@example.com", "customer-42", True)
    await hanako.disconnect()


async def test_a_name_changed_in_the_page_is_refused(start_gateway) -> None:
    gateway = await start_gateway(identity_secret=SECRET)
    tampered = {"user_id": "customer-42", "name": "Admin", "email": "keiko@example.com",
                "hmac": sign("customer-42", "Keiko Mori", "keiko@example.com")}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gateway.visitor(auth={"identity": tampered}).connect()
    # The user id alone, signed alone, still works as before.
    plain = {"user_id": "customer-42", "hmac": sign("customer-42")}
    async with gateway.visitor(auth={"identity": plain}) as visitor:
        assert visitor.session["profile"]["identified"] is True
    # A signed name with a bad e-mail is invalid, not stored.
    bad = {"user_id": "customer-7", "name": "K", "email": "nope",
           "hmac": sign("customer-7", "K", "nope")}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gateway.visitor(auth={"identity": bad}).connect()


async def _chat_and_close(visitor: VisitorClient, hanako: AgentClient) -> dict[str, Any]:
    await visitor.send("I need a person", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    assigned = await hanako.next("assigned")
    ack = await hanako.call("close", {"conversation_id": assigned["conversation"]["id"]})
    assert ack["ok"], ack
    return assigned


async def test_a_returning_visitor_is_recognised_by_identity_and_by_token(start_gateway) -> None:
    gateway = await start_gateway(identity_secret=SECRET)
    hanako = await agent(gateway, "Hanako")
    identity = {"user_id": "customer-9", "hmac": sign("customer-9")}
    for _ in range(2):  # two conversations, from two different browsers
        async with gateway.visitor(auth={"identity": dict(identity)}) as visitor:
            await _chat_and_close(visitor, hanako)
    async with gateway.visitor(auth={"identity": dict(identity)}) as visitor:
        third = await _chat_and_close(visitor, hanako)
    assert third["visitor"]["returning"] is True
    assert third["visitor"]["past_conversations"] == 2
    assert len(third["visitor"]["earlier"]) == 2

    # Anonymous: the same browser's token.
    async with gateway.visitor() as visitor:
        first = await _chat_and_close(visitor, hanako)
        token = visitor.session["visitor_token"]
    assert first["visitor"]["returning"] is False
    async with gateway.visitor(token=token) as visitor:
        await visitor.send("I need a person", cid())
        assert (await visitor.call("request_human", {}))["ok"]
        again = await hanako.next("assigned")
        assert again["visitor"]["returning"] is True
        assert again["visitor"]["past_conversations"] == 1
        # The agent holding the chat reads the earlier transcript (a sync, read-only).
        earlier_id = again["visitor"]["earlier"][0]["id"]
        history = await hanako.call("sync", {"conversation_id": earlier_id, "since_seq": 0})
        assert history["ok"] and history["messages"][0]["text"] == "I need a person"
    await hanako.disconnect()


async def test_queue_lists_the_visitor_by_name(start_gateway) -> None:
    gateway = await start_gateway(prechat_fields=("name",))
    email = await add_agent(gateway, "Sara", role="supervisor")
    sara = await AgentClient.signed_in(gateway.url, email, PASSWORD)  # starts away
    async with gateway.visitor() as visitor:
        assert (await visitor.call("profile", {"name": "Taro"}))["ok"]
        await visitor.send("I need a person", cid())
        assert (await visitor.call("request_human", {}))["ok"]
        async with aiohttp.ClientSession() as http, http.get(
                f"{gateway.url}/api/supervisor/overview",
                headers={"Authorization": f"Bearer {sara.token}"}) as response:
            overview = await response.json()
        assert [q["visitor_name"] for q in overview["queue"]] == ["Taro"]
    async with gateway.ctx.store.begin() as tx:
        stored = await tx.session.get(Visitor, visitor.session["visitor_id"])
        assert stored is not None and stored.name == "Taro"
    await sara.disconnect()
