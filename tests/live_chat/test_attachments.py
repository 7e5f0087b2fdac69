"""Attachments end to end on a real gateway: upload over HTTP, send with a message over
Socket.IO, fetch with a signed link; the refusals (wrong type, too large, another
visitor, an expired link) and exactly one attachment under retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from live_chat.attachments.links import Party
from live_chat.store.models import Attachment, Message
from live_chat.store.retention import forget_visitor
from tests.clients import AgentClient, VisitorClient, cid
from tests.conftest import Gateway, GatewayFactory, free_port
from tests.live_chat.test_agent_protocol import agent, waiting_visitor

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def upload(gateway: Gateway, token: str, data: bytes, name: str, *,
                 content_type: str = "image/png", conversation_id: str | None = None,
                 ) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type=content_type)
    if conversation_id is not None:
        form.add_field("conversation_id", conversation_id)
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/attachments", data=form,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        return response.status, await response.json()


async def get_link(gateway: Gateway, token: str, attachment_id: str
                   ) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(
        f"{gateway.url}/api/attachments/{attachment_id}/link",
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        return response.status, await response.json()


async def fetch(gateway: Gateway, url: str, token: str | None = None
                ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(
        f"{gateway.url}{url}", headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def stored_attachments(gateway: Gateway) -> list[Attachment]:
    async with gateway.ctx.store.begin() as tx:
        return list((await tx.session.scalars(select(Attachment))).all())


def kept_files(gateway: Gateway) -> list[Any]:
    root = gateway.ctx.settings.attachments_dir
    return sorted(root.glob("*/*")) if root.exists() else []


async def test_a_visitors_picture_reaches_the_agent_and_an_agents_pdf_the_visitor(
        gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    token = visitor.session["visitor_token"]

    status, body = await upload(gateway, token, PNG, "receipt.png")
    assert status == 201, body
    shown = body["attachment"]
    assert shown == {"id": shown["id"], "name": "receipt.png", "type": "image/png",
                     "size": len(PNG)}
    # The uploader may look at it at once (a preview), before it is sent.
    status, headers, data = await fetch(gateway, body["url"])
    assert status == 200 and data == PNG

    # Sent with no words: the file is the message.
    ack = await visitor.send("", cid(), attachments=[{"id": shown["id"]}])
    assert ack["ok"], ack
    assert ack["message"]["attachments"] == [shown] and ack["message"]["text"] == ""
    seen = await hanako.next_where("message", lambda m: m["attachments"])
    assert seen["attachments"] == [shown] and seen["conversation_id"] == conversation_id

    status, body = await get_link(gateway, hanako.token, shown["id"])
    assert status == 200, body
    assert body["expires_at"] > time.time()
    status, headers, data = await fetch(gateway, body["url"])
    assert status == 200 and data == PNG
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox"
    assert headers["Content-Disposition"].startswith("inline;")
    # The agent's sync (a reload) shows the file with the message.
    synced = await hanako.call("sync", {"conversation_id": conversation_id, "since_seq": 0})
    assert [m["attachments"] for m in synced["messages"] if m["attachments"]] == [[shown]]

    # The agent answers with a PDF: the visitor gets it, as a download.
    status, body = await upload(gateway, hanako.token, PDF, "invoice.pdf",
                                content_type="application/pdf",
                                conversation_id=conversation_id)
    assert status == 201, body
    pdf = body["attachment"]
    assert pdf["type"] == "application/pdf"
    ack = await hanako.call("message", {"conversation_id": conversation_id,
                                        "client_id": cid(), "text": "Here is your invoice",
                                        "attachments": [{"id": pdf["id"]}]})
    assert ack["ok"], ack
    got = await visitor.next_where("message", lambda m: m["sender"] == "agent")
    assert got["attachments"] == [pdf] and got["text"] == "Here is your invoice"
    status, body = await get_link(gateway, token, pdf["id"])
    assert status == 200, body
    status, headers, data = await fetch(gateway, body["url"], token)
    assert status == 200 and data == PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert [a.message_id is not None for a in await stored_attachments(gateway)] == [True, True]
    await visitor.disconnect()
    await hanako.disconnect()


async def test_a_file_that_is_not_an_image_or_pdf_is_refused_whatever_its_name(
        gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
        for data, name in ((b"<html><script>alert(1)</script></html>", "cat.png"),
                           (b"MZ\x90\x00\x03" + b"\x00" * 200, "setup.pdf"),
                           (b"", "empty.png")):
            status, body = await upload(gateway, token, data, name)
            assert (status, body["error"]) == (415, "unsupported_type"), body
            assert "image/png" in body["types"]
    assert await stored_attachments(gateway) == [] and kept_files(gateway) == []


async def test_a_file_over_the_limit_is_refused_and_nothing_kept(
        start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(attachment_max_bytes=2048)
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
        status, body = await upload(gateway, token, PNG + b"\x00" * 2048, "big.png")
        assert (status, body["error"], body["max_bytes"]) == (413, "too_large", 2048), body
        status, body = await upload(gateway, token, PNG[:2048], "fits.png")
        assert status == 201, body
    assert [a.name for a in await stored_attachments(gateway)] == ["fits.png"]
    assert len(kept_files(gateway)) == 1


async def test_another_visitor_can_neither_link_fetch_nor_send_the_file(
        gateway: Gateway) -> None:
    async with gateway.visitor() as owner, gateway.visitor() as other:
        mine, theirs = owner.session["visitor_token"], other.session["visitor_token"]
        status, body = await upload(gateway, mine, PNG, "private.png")
        assert status == 201
        attachment_id, url = body["attachment"]["id"], body["url"]
        assert (await owner.send("", cid(), attachments=[{"id": attachment_id}]))["ok"]

        status, body = await get_link(gateway, theirs, attachment_id)
        assert (status, body["error"]) == (403, "forbidden")
        # The owner's link, fetched by someone who says who they are: refused.
        status, _, data = await fetch(gateway, url, theirs)
        assert status == 403 and data != PNG
        # Nor may they send it as theirs.
        ack = await other.send("look", cid(), attachments=[{"id": attachment_id}])
        assert (ack["ok"], ack["error"]) == (False, "forbidden")
        # A link forged for them (a signature for the owner, their name put in): refused.
        forged = url.replace(f"p=visitor%3A{owner.session['visitor_id']}",
                             f"p=visitor%3A{other.session['visitor_id']}")
        assert forged != url
        status, _, _ = await fetch(gateway, forged)
        assert status == 403
        # Without any credentials at all, links cannot be asked for.
        async with aiohttp.ClientSession() as http, http.get(
            f"{gateway.url}/api/attachments/{attachment_id}/link") as response:
            assert response.status == 401
        # An agent who never had the chat cannot read it either.
        stranger = await agent(gateway, "Stranger")
        status, body = await get_link(gateway, stranger.token, attachment_id)
        assert (status, body["error"]) == (403, "forbidden")
        await stranger.disconnect()


async def test_an_expired_or_tampered_link_is_refused(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
        status, body = await upload(gateway, token, PNG, "a.png")
        attachment_id = body["attachment"]["id"]
        party = Party("visitor", visitor.session["visitor_id"])
        old = gateway.ctx.attachments.links.issue(attachment_id, party,
                                                  now=time.time() - 7200)
        status, _, data = await fetch(gateway, old.url)
        assert status == 403 and data != PNG
        status, _, _ = await fetch(gateway, old.url.replace("exp=", "exp=9"))
        assert status == 403  # a later expiry without a new signature
        fresh = gateway.ctx.attachments.links.issue(attachment_id, party)
        assert (await fetch(gateway, fresh.url))[0] == 200
        async with aiohttp.ClientSession() as http, http.get(
            f"{gateway.url}{old.url}") as response:
            assert (await response.json())["error"] == "expired"


async def test_a_retried_message_stores_its_attachment_once(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
        status, body = await upload(gateway, token, PNG, "once.png")
        assert status == 201, body
        attachment = [{"id": body["attachment"]["id"]}]
        client_id = cid()
        first = await visitor.send("here it is", client_id, attachments=attachment)
        again = await visitor.send("here it is", client_id, attachments=attachment)
        assert first["ok"] and again["ok"]
        assert again["message"] == first["message"]
        # The same file in another message is refused: it is sent once.
        other = await visitor.send("and again", cid(), attachments=attachment)
        assert (other["ok"], other["error"]) == (False, "conflict")
        # An id nobody uploaded: not_found; nothing stored for either.
        ghost = await visitor.send("ghost", cid(), attachments=[{"id": "0" * 32}])
        assert (ghost["ok"], ghost["error"]) == (False, "not_found")
    async with gateway.ctx.store.begin() as tx:
        with_files = await tx.session.scalar(
            select(func.count()).select_from(Message).where(Message.client_id == client_id))
        texts = (await tx.session.scalars(select(Message.text))).all()
    assert with_files == 1 and "and again" not in texts and "ghost" not in texts
    rows = await stored_attachments(gateway)
    assert [(a.message_id, a.conversation_id) for a in rows] == [
        (first["message"]["id"], first["message"]["conversation_id"])]


async def test_an_agent_may_only_attach_to_a_chat_they_hold(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako", capacity=1)
    visitor: VisitorClient = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro: AgentClient = await agent(gateway, "Taro")
    status, body = await upload(gateway, taro.token, PNG, "x.png",
                                conversation_id=conversation_id)
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await upload(gateway, taro.token, PNG, "x.png")
    assert (status, body["error"]) == (404, "not_found")
    # The console's cookie without its CSRF header is no credential for an upload.
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="x.png")
    async with aiohttp.ClientSession(cookies={"tsunagu_session": hanako.token}) as http, \
            http.post(f"{gateway.url}/api/attachments", data=form) as response:
        assert response.status == 401
    assert await stored_attachments(gateway) == []
    for client in (visitor, hanako, taro):
        await client.disconnect()


async def test_a_shop_page_on_an_allowed_origin_may_upload_and_others_may_not(
        start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(allowed_origins=("https://shop.example",))
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"}
    async with aiohttp.ClientSession() as http:
        async with http.options(f"{gateway.url}/api/attachments",
                                headers={"Origin": "https://shop.example", **preflight}) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == "https://shop.example"
            assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
        async with http.options(f"{gateway.url}/api/attachments",
                                headers={"Origin": "https://evil.example", **preflight}) as r:
            assert "Access-Control-Allow-Origin" not in r.headers
    async with gateway.visitor() as visitor:
        token = visitor.session["visitor_token"]
        for origin, wanted in (("https://shop.example", 201), ("https://evil.example", 403)):
            form = aiohttp.FormData()
            form.add_field("file", PNG, filename="a.png")
            async with aiohttp.ClientSession() as http, http.post(
                f"{gateway.url}/api/attachments", data=form,
                headers={"Authorization": f"Bearer {token}", "Origin": origin},
            ) as response:
                assert response.status == wanted, await response.text()
                if wanted == 201:
                    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert len(await stored_attachments(gateway)) == 1


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3-compatible server on loopback (moto's), with one empty bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


BUCKET = "tsunagu-attachments"


async def test_files_may_live_in_an_s3_compatible_bucket(start_gateway: GatewayFactory,
                                                         s3_endpoint: str) -> None:
    import boto3

    gateway = await start_gateway(attachment_s3_bucket=BUCKET,
                                  attachment_s3_endpoint=s3_endpoint)
    bucket = boto3.client("s3", endpoint_url=s3_endpoint)
    async with gateway.visitor() as visitor:
        token, visitor_id = visitor.session["visitor_token"], visitor.session["visitor_id"]
        status, body = await upload(gateway, token, PNG, "in-the-bucket.png")
        assert status == 201, body
        attachment_id = body["attachment"]["id"]
        assert (await visitor.send("", cid(), attachments=[{"id": attachment_id}]))["ok"]
        status, _, data = await fetch(gateway, body["url"])
        assert status == 200 and data == PNG
        assert (await visitor.call("close", {}))["ok"]
    key = f"attachments/{attachment_id[:2]}/{attachment_id}"
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PNG
    assert kept_files(gateway) == []  # nothing in the data folder
    # Forgetting the visitor empties the bucket of their file.
    await forget_visitor(gateway.ctx.store, visitor_id, gateway.ctx.attachments.blobs)
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
