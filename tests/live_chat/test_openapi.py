"""``GET /api/openapi.json``: generated from the routes and the pydantic models, and
held to by a real gateway under schemathesis."""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

import aiohttp
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from live_chat.app import create_app
from live_chat.openapi import Undocumented, build_document
from live_chat.settings import Settings
from tests.conftest import TEST_SECRET, Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import waiting_visitor
from tests.live_chat.test_console_api import token_of

#: Examples generated per operation: enough to reach each handler's branches for
#: bad input, few enough that the whole run takes seconds.
EXAMPLES = 6
#: Operations schemathesis leaves alone: signing out ends the session the run uses;
#: a training job fits a model in the background (seconds of CPU each). The webhook
#: routes run: the gateway may post only to the loopback receiver (an allow-list of
#: 127.0.0.1), so a generated URL is refused rather than sent requests.
SKIPPED = {("POST", "/api/auth/logout"), ("POST", "/api/admin/train")}
METRICS_TOKEN = "metrics-token-0123456789"


def fresh_app() -> web.Application:
    return create_app(Settings.from_env({}, data_dir=tempfile.mkdtemp(),
                                        secret_key=TEST_SECRET))


def test_every_route_is_described_from_the_models() -> None:
    app = fresh_app()
    document = build_document(app)
    described = {(method.upper(), path) for path, item in document["paths"].items()
                 for method in item}
    routed = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.method not in ("HEAD", "OPTIONS") and r.resource is not None
              and not r.resource.canonical.startswith("/socket.io")}
    assert len(described) == len(routed) >= 50
    assert document["openapi"] == "3.1.0"
    # Request and response schemas are the pydantic models' own.
    canned = document["paths"]["/api/canned"]["post"]
    assert canned["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CannedIn"}
    schemas = document["components"]["schemas"]
    assert schemas["CannedIn"]["properties"]["locale"]["pattern"] == "^(ja|en)$"
    assert set(schemas["TranscriptOut"]["required"]) >= {
        "conversation", "messages", "notes", "tags", "csat"}
    # No answer is a bare {ok: true, …anything}: the webhook routes name their keys.
    answers = {(method.upper(), path): operation["responses"]["200"]["content"]
               ["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1]
               for path, item in document["paths"].items()
               for method, operation in item.items()
               if "application/json" in operation["responses"].get("200", {}).get(
                   "content", {})}
    assert "ReportOut" not in answers.values()
    assert {answers[("GET", "/api/admin/webhooks")], answers[("POST", "/api/admin/webhooks")],
            answers[("GET", "/api/admin/webhook-deliveries")],
            answers[("GET", "/api/admin/webhook-deliveries/{id}")],
            answers[("POST", "/api/admin/webhook-deliveries/{id}/replay")]} == {
        "WebhooksOut", "WebhookCreatedOut", "DeliveriesOut", "DeliveryOneOut", "ReplayOut"}
    assert set(schemas["DeliveryWithBodyOut"]["required"]) >= {
        "id", "event", "event_id", "status", "attempts", "body", "next_attempt_at"}
    # Admin routes say so, and answer 403 to others; public routes ask for nothing.
    intents = document["paths"]["/api/admin/intents"]["get"]
    assert intents["description"] == "Roles: admin." and "403" in intents["responses"]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert document["paths"]["/api/canned/{id}"]["put"]["parameters"][0]["schema"][
        "pattern"] == "^\\d{1,9}$"
    # Query parameters come from the routes' query models, with what each means.
    search = {p["name"]: p for p in document["paths"]["/api/conversations"]["get"]["parameters"]}
    assert {"q", "state", "visitor", "email", "from", "to", "limit", "cursor"} <= set(search)
    assert search["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 50,
                                         "default": 25}
    assert search["email"]["description"] and not search["email"]["required"]
    timeseries = {p["name"]: p for p in
                  document["paths"]["/api/reports/timeseries"]["get"]["parameters"]}
    assert timeseries["metric"]["required"] and "deflection" in timeseries["metric"][
        "schema"]["enum"]
    revision = document["paths"]["/api/admin/intents/{name}"]["delete"]["parameters"]
    assert [(p["name"], p["required"]) for p in revision if p["in"] == "query"] == [
        ("revision", True)]
    # API keys: a scheme of their own, named on the read routes only, with the scope.
    assert "tsk_" in document["components"]["securitySchemes"]["apiKey"]["description"]
    transcript = document["paths"]["/api/conversations/{id}/transcript"]["get"]
    assert {"apiKey": ["read"]} in transcript["security"]
    assert set(transcript["responses"]["200"]["content"]) == {"application/json", "text/plain"}
    assert {"apiKey": ["reports"]} in document["paths"]["/api/reports/summary"]["get"][
        "security"]
    assert not any("apiKey" in s for s in intents["security"])
    assert not any("apiKey" in s for s in document["paths"]["/api/admin/api-keys"]["post"][
        "security"])


def test_a_route_without_a_description_fails_the_build() -> None:
    app = fresh_app()

    async def secret(request: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/api/undocumented", secret)
    with pytest.raises(Undocumented, match="GET /api/undocumented"):
        build_document(app)


def takes_api_keys(operation: Any) -> bool:
    return any("apiKey" in s for s in operation.definition.raw.get("security", ()))


def run_schemathesis(document: dict[str, Any], url: str, headers: dict[str, str],
                     wanted: Any = lambda operation: True) -> tuple[int, list[str]]:
    """Every operation of ``document`` that ``wanted`` accepts, against ``url``:
    (requests made, failures)."""
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED or not wanted(operation):
            continue
        try:
            calls += exercise(operation, url, headers)
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    return calls, failures


def exercise(operation: Any, url: str, headers: dict[str, str]) -> int:
    """Up to :data:`EXAMPLES` generated requests to one operation; raises on the first
    undocumented 5xx or answer off the schema. Returns the requests made."""
    documented = set(operation.definition.raw["responses"])
    calls = 0

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = case.call(base_url=url, headers=headers, timeout=10)
        # A 5xx the route documents (503: a bundle not built, readyz) is an
        # answer; any other (a 500 above all) is a defect.
        status = response.status_code
        assert status < 500 or str(status) in documented, (
            f"{status} from {case.method} {case.formatted_path}: {response.text[:500]}")
        case.validate_response(response, checks=[response_schema_conformance])

    check()
    return calls


async def schemathesis_on(gateway: Gateway, headers: dict[str, str],
                          wanted: Any = lambda operation: True) -> int:
    async with aiohttp.ClientSession() as http, http.get(
            f"{gateway.url}/api/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    # The requests are blocking: made from a thread while this loop serves them.
    calls, failures = await asyncio.to_thread(run_schemathesis, document, gateway.url,
                                              headers, wanted)
    assert failures == [], "\n\n".join(failures)
    return calls


async def test_schemathesis_finds_no_server_error_nor_an_answer_off_the_schema(
        start_gateway: GatewayFactory) -> None:
    async def received(request: web.Request) -> web.Response:
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/", received)
    receiving = web.AppRunner(receiver, access_log=None, shutdown_timeout=0.1)
    await receiving.setup()
    await web.TCPSite(receiving, "127.0.0.1", 0).start()
    gateway = await start_gateway(metrics_token=METRICS_TOKEN, webhook_allow_private=True,
                                  webhook_allowed_hosts=("127.0.0.1",), webhook_poll_s=0.05)
    admin = await token_of(gateway, "Admin", role="admin")
    # A subscription, so the webhook reads answer with entries, not empty lists.
    async with aiohttp.ClientSession() as http, http.post(
            f"{gateway.url}/api/admin/webhooks", headers={"Authorization": f"Bearer {admin}"},
            json={"url": f"http://127.0.0.1:{receiving.addresses[0][1]}/",
                  "events": ["conversation.created", "escalated"]}) as response:
        assert response.status == 200
    # A conversation in the record, so reads have something to find.
    visitor = await waiting_visitor(gateway)
    calls = await schemathesis_on(gateway, {"Authorization": f"Bearer {admin}"})
    assert calls >= 50
    # Again with an API key of both scopes, on the routes that take one (48 requests, ~1.2 s).
    async with aiohttp.ClientSession() as http, http.post(
            f"{gateway.url}/api/admin/api-keys", headers={"Authorization": f"Bearer {admin}"},
            json={"name": "schemathesis", "scopes": ["read", "reports"]}) as response:
        key = (await response.json())["key"]
    calls = await schemathesis_on(gateway, {"Authorization": f"Bearer {key}"},
                                  takes_api_keys)
    assert calls >= 8
    await visitor.disconnect()
    await receiving.cleanup()


async def test_numbers_in_queries_that_no_database_holds_are_refused_not_500(
        gateway: Gateway) -> None:
    """What schemathesis found once the query parameters were described: a number past
    SQLite's integers and digits that are not ASCII ("²".isdigit() is true) were 500s."""
    admin = await token_of(gateway, "Admin", role="admin")
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for path, status in (("/api/admin/audit?before=99999999999999999999", 400),
                             ("/api/admin/audit?limit=-99999999999999999999", 400),
                             ("/api/conversations?limit=%C2%B2", 400),
                             ("/api/admin/webhook-deliveries?limit=%C2%B2", 400),
                             ("/api/attachments/abc?p=v1&exp=%C2%B2&sig=x", 403)):
            async with http.get(f"{gateway.url}{path}") as response:
                assert response.status == status, (path, await response.text())
