"""The real Rasa server of the suite: the stock ``rasa init`` assistant with the handoff snippet.

These tests check the fixture itself (``rasa_assistant`` in tests/conftest.py):
Rasa 3.6 built by scripts/rasa-env.sh, the assistant in tests/rasa/assistant
trained by scripts/rasa-train.sh, served with ``--enable-api --auth-token`` -
what the Rasa bot mode of the gateway talks to.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest

from tests.rasa_server import RasaServer


def say(server: RasaServer, sender: str, text: str) -> list[dict]:
    """What Rasa's REST channel answers to ``text`` from ``sender``."""
    answer = server.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
    assert isinstance(answer, list)
    return answer


def test_the_mood_bot_dialogue_runs_on_the_real_server(rasa_assistant: RasaServer) -> None:
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    assert say(rasa_assistant, sender, "hello") == [
        {"recipient_id": sender, "text": "Hey! How are you?", "buttons": [
            {"title": "great", "payload": "/mood_great"},
            {"title": "sad", "payload": "/mood_unhappy"},
        ]}
    ]
    sad = say(rasa_assistant, sender, "I am sad")
    assert [m.get("text") for m in sad if "text" in m] == [
        "Here is something to cheer you up:", "Did that help you?",
    ]
    assert any(m.get("image") == "http://127.0.0.1:9/cheer-up.jpg" for m in sad)
    tracker = rasa_assistant.get(f"/conversations/{sender}/tracker")
    assert tracker["latest_message"]["intent"]["name"] == "mood_unhappy"
    assert 0 < tracker["latest_message"]["intent"]["confidence"] <= 1
    assert say(rasa_assistant, sender, "yes") == [
        {"recipient_id": sender, "text": "Great, carry on!"}
    ]


def test_the_handoff_snippet_sends_its_custom_payload(rasa_assistant: RasaServer) -> None:
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    answer = say(rasa_assistant, sender, "I want to talk to a human")
    assert {"recipient_id": sender, "custom": {"handoff": True}} in answer
    assert {"recipient_id": sender, "text": "Let me get a person for you."} in answer


def test_the_http_api_needs_the_token(rasa_assistant: RasaServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{rasa_assistant.url}/status", timeout=10)
    assert refused.value.code == 401
    assert rasa_assistant.get("/status")["model_file"].endswith(rasa_assistant.model.name)
