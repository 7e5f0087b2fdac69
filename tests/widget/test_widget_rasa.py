"""The ``rasa init`` mood bot behind the widget (``TSUNAGU_BOT=rasa``), in Debian's Chromium.

A real ``tsunagu serve`` talks to a real ``rasa run --auth-token`` (the
``rasa_assistant`` fixture: the stock mood bot, its greeting with two
buttons, a custom payload on its goodbye, and the README's handoff snippet).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.clients import AgentClient
from tests.conftest import GatewayProcess, spawn_gateway, stop_gateway
from tests.rasa_server import RasaServer
from tests.widget.conftest import ARTIFACTS, BackgroundLoop
from tests.widget.test_widget_browser import _add_agent, shop_widget


@pytest.fixture
def rasa_gateway(tmp_path: Path, models_dir: Path,
                 rasa_assistant: RasaServer) -> Iterator[GatewayProcess]:
    gateway = spawn_gateway(tmp_path / "gateway", models_dir, TSUNAGU_BOT="rasa",
                            RASA_URL=rasa_assistant.url, RASA_TOKEN=rasa_assistant.token)
    yield gateway
    stop_gateway(gateway)


def test_the_mood_bot_talks_with_buttons_and_an_image_and_hands_over_to_an_agent(
    browser: object, rasa_gateway: GatewayProcess, aloop: BackgroundLoop
) -> None:
    _add_agent(rasa_gateway, "hanako@example.com", "Hanako", "correct-horse-42", capacity=3)
    hanako: Any = aloop.run(AgentClient.signed_in(rasa_gateway.url, "hanako@example.com",
                                                  "correct-horse-42"))
    w = shop_widget(browser, rasa_gateway.url, locale="en")
    try:
        w.open()
        w.send("hello")
        expect(w.stored("bot").last.locator(".msg-bubble")).to_have_text("Hey! How are you?")
        expect(w.quick_replies).to_have_text(["great", "sad"])
        # The button sends its payload (/mood_unhappy) to Rasa; its title is what is shown.
        w.quick_replies.filter(has_text="sad").click()
        expect(w.stored("visitor").last.locator(".msg-bubble")).to_have_text("sad")
        expect(w.stored("bot").last.locator(".msg-bubble")).to_have_text("Did that help you?")
        image = w.page.locator("tsunagu-chat .msg-bot .msg-image img")
        expect(image).to_have_attribute("src", "http://127.0.0.1:9/cheer-up.jpg")
        expect(image).to_have_attribute("alt", "Image from the assistant")
        expect(w.stored("bot").locator(".msg-bubble")).to_have_text(
            ["Hey! How are you?", "Here is something to cheer you up:", "Did that help you?"])
        expect(w.stored("bot")).to_have_count(4)  # the image is a message of its own
        # The image row has no empty bubble beside it.
        expect(w.page.locator("tsunagu-chat .msg-bot:has(.msg-image) .msg-bubble")).to_have_count(0)

        # utter_goodbye's custom payload is Rasa's next message of its own: the
        # widget shows nothing of it (no empty bubble, no row) and hands it to
        # the page as a tsunagu:custom event.
        w.page.evaluate("""() => { window.customs = [];
            document.addEventListener('tsunagu:custom', (e) => window.customs.push(e.detail)); }""")
        w.send("bye")
        w.page.wait_for_function("() => window.customs.length > 0")
        assert w.page.evaluate("() => window.customs") == [{"survey": "after-chat"}]
        expect(w.stored("bot")).to_have_count(6)  # Bye, then the payload
        expect(w.stored("bot").locator(".msg-bubble")).to_have_text(
            ["Hey! How are you?", "Here is something to cheer you up:", "Did that help you?",
             "Bye"])
        expect(w.page.locator("tsunagu-chat .msg-bot[data-seq]:visible")).to_have_count(5)

        # The README's handoff snippet: Rasa answers, then a person takes over.
        w.send("I want to talk to a human")
        expect(w.stored("bot").last.locator(".msg-bubble")).to_have_text(
            "Let me get a person for you.")
        assigned = aloop.run(hanako.next("assigned"), timeout=30)
        chat = assigned["conversation"]["id"]
        assert "I want to talk to a human" in [m["text"] for m in assigned["messages"]]
        ack = aloop.run(hanako.call("message", {"conversation_id": chat,
                                                "client_id": str(uuid.uuid4()),
                                                "text": "Hi, I am Hanako. How can I help?"}))
        assert ack["ok"], ack
        expect(w.stored("agent").last.locator(".msg-bubble")).to_have_text(
            "Hi, I am Hanako. How can I help?")
        # While Hanako has the chat, Rasa says nothing: the question goes to her only.
        w.send("are you a bot?")
        aloop.run(hanako.next_where("message", lambda m: m["text"] == "are you a bot?"))
        expect(w.stored("visitor").last.locator(".msg-bubble")).to_have_text("are you a bot?")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        w.page.screenshot(path=str(ARTIFACTS / "widget-rasa-handoff.png"))
        expect(w.stored("bot")).to_have_count(7)
    finally:
        w.context.close()
        aloop.run(hanako.disconnect())
