"""Attachments in a real Chromium: the visitor (mobile, 390x844) attaches a picture with
the composer's paper clip, it shows inline in the widget and in the agent's console; the
agent answers with a PDF from the console, the visitor gets a link with its name and size;
a file over the limit, or of a wrong type, is refused with the reason in the visitor's
language and nothing is sent."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import spawn_gateway, stop_gateway
from tests.console.conftest import Desk, _seed
from tests.console.test_console_browser import WAIT_MS, sign_in
from tests.widget.conftest import BackgroundLoop

pytestmark = pytest.mark.timeout(150)
expect.set_options(timeout=WAIT_MS)

MAX_BYTES = 64 * 1024
MOBILE = {"width": 390, "height": 844}


def png(width: int, height: int, padding: int = 0) -> bytes:
    """A real (decodable) PNG of one colour; ``padding`` bytes after its end make it bigger."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x2f\x6f\x5e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"") + b"\x00" * padding)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, aloop: BackgroundLoop,
         widget_bundle: Path) -> Iterator[Desk]:
    """A gateway whose attachment limit is 64 KiB, with the console tests' agents."""
    gateway = spawn_gateway(tmp_path_factory.mktemp("attachments"), models_dir,
                            TSUNAGU_ATTACHMENT_MAX_BYTES=str(MAX_BYTES))
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)


def widget_page(browser: Any, desk: Desk, locale: str) -> Page:
    """A shop page on the gateway's origin embedding the widget in ``locale``'s language."""
    context = browser.new_context(locale=locale, viewport=MOBILE, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    html = ('<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body><h1>Shop</h1><script src="/widget.js" data-locale="{locale[:2]}">'
            '</script></body></html>')
    page.route(f"{desk.url}/shop", lambda route: route.fulfill(
        status=200, content_type="text/html", body=html))
    page.goto(f"{desk.url}/shop")
    page.locator("tsunagu-chat .launcher").click()
    expect(page.locator("tsunagu-chat .panel")).to_be_visible()
    expect(page.locator("tsunagu-chat .root")).to_have_attribute("data-connection", "online")
    return page


def attach(page: Page, name: str, mime: str, data: bytes, scope: str = "tsunagu-chat") -> None:
    """What choosing a file in the picker does (the paper clip opens the same input)."""
    page.locator(f"{scope} input.file-input").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])


def loaded(image: Locator) -> None:
    """The <img> has a signed URL of the gateway and the browser decoded the picture."""
    expect(image).to_have_attribute("src", re.compile(r"/api/attachments/[0-9a-f]{32}\?p="))
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 40


def test_a_picture_shows_inline_for_visitor_and_agent_and_a_pdf_comes_back(
        browser: Any, desk: Desk) -> None:
    aoi = sign_in(browser, desk, desk.aoi, "en-US")
    page = widget_page(browser, desk, "en-US")
    try:
        clip = page.locator("tsunagu-chat button.attach")
        expect(clip).to_be_visible()
        expect(clip).to_have_attribute("aria-label", "Attach an image or PDF")
        # The clip fits the phone's composer beside the text box and the send button.
        box = clip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"]

        # The picture is the visitor's first message (it opens the conversation).
        attach(page, "receipt.png", "image/png", png(40, 30))
        mine = page.locator("tsunagu-chat .msg-visitor[data-seq] .file-image img")
        loaded(mine)
        expect(mine).to_have_attribute("alt", "receipt.png")
        assert mine.evaluate("img => img.getBoundingClientRect().width") <= 240
        page.locator("tsunagu-chat .ask-human").click()
        expect(aoi.chats).to_have_count(1)
        chat_id = next(iter(aoi.ids()))
        # The agent sees it inline too, in the chat's transcript.
        theirs = aoi.chat(chat_id).locator(".msg-visitor .file-image img")
        loaded(theirs)

        # The agent answers with a PDF from the console's paper clip.
        attach(aoi.page, "invoice.pdf", "application/pdf", PDF,
               scope=f'.chat[data-conversation="{chat_id}"] .composer')
        expect(aoi.chat(chat_id).locator(".msg-agent[data-seq] .file-doc")).to_contain_text(
            "invoice.pdf")
        doc = page.locator("tsunagu-chat .msg-agent .file-doc")
        expect(doc).to_have_text(f"📄 invoice.pdf ({len(PDF)} B)")
        expect(doc).to_have_attribute("href", re.compile(r"/api/attachments/[0-9a-f]{32}\?"))
        response = page.request.get(doc.get_attribute("href") or "")
        assert response.status == 200 and response.body() == PDF
        assert response.headers["content-disposition"].startswith("attachment;")
        assert aoi.errors == []
    finally:
        page.context.close()
        aoi.context.close()


@pytest.mark.parametrize(("locale", "too_large", "wrong_type"), [
    ("en-US", "This file is too large (up to 65.5 KB).",
     "Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent."),
    ("ja-JP", "ファイルが大きすぎます（65.5 KB まで）。",  # noqa: RUF001 (Japanese brackets)
     "送信できるのは画像（PNG・JPEG・GIF・WebP）と PDF だけです。"),  # noqa: RUF001
])
def test_a_file_too_large_or_of_a_wrong_type_is_refused_with_the_reason(
        browser: Any, desk: Desk, locale: str, too_large: str, wrong_type: str) -> None:
    page = widget_page(browser, desk, locale)
    try:
        status = page.locator("tsunagu-chat .upload-status")
        attach(page, "holiday.png", "image/png", png(40, 30, padding=MAX_BYTES))
        expect(status).to_have_text(too_large)
        expect(status).to_have_attribute("role", "alert")
        attach(page, "cat.png", "image/png", b"<html><script>alert(1)</script></html>")
        expect(status).to_have_text(wrong_type)
        # Nothing was sent, and a file that fits goes through and clears the reason.
        expect(page.locator("tsunagu-chat .msg-files")).to_have_count(0)
        attach(page, "fits.png", "image/png", png(40, 30))
        loaded(page.locator("tsunagu-chat .msg-visitor[data-seq] .file-image img"))
        expect(status).to_be_hidden()
    finally:
        page.context.close()
