"""What a Rasa assistant's answers and tracker mean to tsunagu (``bot.rasa_assistant``).

The JSON below is what Rasa 3.6's REST channel and tracker endpoint return
(shapes as in the end-to-end run against ``rasa run``,
``tests/live_chat/test_rasa_assistant.py``); these tests pin the mapping of
every handoff trigger and of every answer kind without a server.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.decision import BotMessage, QuickReply
from bot.rasa_assistant import RasaAssistant, bot_message, read_turn


def user(intent: str, confidence: float, *ranking: tuple[str, float]) -> dict[str, Any]:
    return {"event": "user", "text": "…", "parse_data": {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking or
                           ((intent, confidence),)]}}


def action(name: str, policy: str | None = None) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": policy}


def tracker(*events: dict[str, Any]) -> dict[str, Any]:
    return {"sender_id": "c1", "paused": False, "events": [
        action("action_session_start"), {"event": "session_started"},
        action("action_listen"), *events]}


def test_an_answer_keeps_text_buttons_image_and_custom_in_order() -> None:
    answers = [
        {"recipient_id": "c1", "text": "Here is something to cheer you up:"},
        {"recipient_id": "c1", "image": "https://i.imgur.com/nGF1K8f.jpg"},
        {"recipient_id": "c1", "text": "Did that help you?",
         "buttons": [{"title": "yes", "payload": "/affirm"}, {"title": "no", "payload": "/deny"}]},
        {"recipient_id": "c1", "custom": {"card": {"order": "A-778"}}},
    ]
    turn = read_turn(answers, tracker(
        user("mood_unhappy", 0.9871, ("mood_unhappy", 0.9871), ("deny", 0.01)),
        action("utter_cheer_up"), action("utter_did_that_help"), action("action_listen")))
    assert turn.messages == (
        BotMessage("Here is something to cheer you up:"),
        BotMessage("", image="https://i.imgur.com/nGF1K8f.jpg"),
        BotMessage("Did that help you?", (QuickReply("yes", "/affirm"), QuickReply("no", "/deny"))),
        BotMessage("", custom={"card": {"order": "A-778"}}),
    )
    assert (turn.intent, turn.confidence, turn.handoff) == ("mood_unhappy", 0.9871, None)
    assert turn.ranking == (("mood_unhappy", 0.9871), ("deny", 0.01))


@pytest.mark.parametrize(("answers", "events", "reason", "priority"), [
    # The README's snippet: a response with a custom payload.
    ([{"text": "Let me get a person for you."}, {"custom": {"handoff": True}}],
     [user("request_human", 0.97), action("utter_handoff")], "custom_payload", 0),
    ([{"custom": {"handoff": True, "priority": 1}}],
     [user("complain", 0.9), action("utter_sorry")], "custom_payload", 1),
    # A documented action name, whatever it says.
    ([], [user("billing", 0.8), action("action_handoff")], "action:action_handoff", 0),
    ([{"text": "One moment."}], [user("billing", 0.8), action("utter_handoff")],
     "action:utter_handoff", 0),
    # Rasa's fallbacks.
    ([{"text": "Sorry, I didn't get that."}],
     [user("nlu_fallback", 0.3, ("greet", 0.21), ("affirm", 0.2)),
      action("action_default_fallback"), {"event": "rewind"}],
     "action:action_default_fallback", 0),
    ([], [user("nlu_fallback", 0.3, ("greet", 0.21))], "intent:nlu_fallback", 0),
    # The intent alone, with no rule for it.
    ([], [user("request_human", 0.93)], "intent:request_human", 0),
    # A custom action that paused the conversation itself (Rasa's ConversationPaused).
    ([], [user("billing", 0.8), action("action_talk_to_sales"), {"event": "pause"}],
     "paused", 0),
])  # fmt: skip
def test_every_handoff_trigger(answers: list[dict[str, Any]], events: list[dict[str, Any]],
                               reason: str, priority: int) -> None:
    turn = read_turn(answers, tracker(*events))
    assert (turn.handoff, turn.priority) == (reason, priority)
    # A {"handoff": true} payload is a signal, not something to show.
    assert all(m.custom is None for m in turn.messages)


REPHRASE = {"text": "I'm sorry, I didn't quite understand that. Could you rephrase?"}


def rephrased(intent: str = "nlu_fallback") -> list[dict[str, Any]]:
    """A message and the answer of Rasa's documented rule for ``nlu_fallback``."""
    return [user(intent, 0.3, ("greet", 0.21)), action("utter_please_rephrase", "RulePolicy"),
            action("action_listen", "RulePolicy")]


def test_an_assistants_own_rule_for_nlu_fallback_answers_first_then_a_person_takes_over() -> None:
    # Rasa's "please rephrase" rule: the visitor gets the assistant's answer...
    first = read_turn([REPHRASE], tracker(user("greet", 0.99), action("utter_greet", "RulePolicy"),
                                          action("action_listen"), *rephrased()))
    assert (first.handoff, first.messages) == (None, (BotMessage(REPHRASE["text"]),))
    assert first.intent == "out_of_scope"
    # ... and a second message in a row it does not understand goes to a person.
    # Its "please rephrase" is not said then (the gateway says a person is coming).
    second = read_turn([REPHRASE], tracker(*rephrased(), *rephrased()))
    assert (second.handoff, second.messages) == ("intent:nlu_fallback", ())
    # Understood in between: the next fallback gets the rule's answer again.
    again = read_turn([REPHRASE], tracker(*rephrased(), user("greet", 0.99),
                                          action("utter_greet", "RulePolicy"),
                                          action("action_listen"), *rephrased()))
    assert again.handoff is None


def test_nlu_fallback_answered_by_a_story_guess_hands_over_at_once() -> None:
    # No rule for it: what TED or memoization predicts is a guess, not an answer.
    for policy in ("TEDPolicy", "MemoizationPolicy", None):
        turn = read_turn([{"text": "Hey! How are you?"}], tracker(
            user("nlu_fallback", 0.3, ("greet", 0.21)), action("utter_greet", policy),
            action("action_listen", "RulePolicy")))
        assert (turn.handoff, turn.messages) == ("intent:nlu_fallback", ()), policy


def test_nlu_fallback_is_stored_as_out_of_scope_with_the_best_real_confidence() -> None:
    turn = read_turn([], tracker(user("nlu_fallback", 0.3, ("greet", 0.21), ("affirm", 0.2))))
    assert (turn.intent, turn.confidence) == ("out_of_scope", 0.21)


def test_the_intent_is_the_messages_even_after_a_fallback_reverted_it() -> None:
    # action_default_fallback reverts the user event (UserUtteranceReverted), so
    # latest_message names the message before; the last user event is this one.
    state = tracker(user("greet", 0.99), action("utter_greet"), action("action_listen"),
                    user("nlu_fallback", 0.3, ("mood_great", 0.25)),
                    action("action_default_fallback"), {"event": "rewind"})
    state["latest_message"] = state["events"][3]["parse_data"]
    turn = read_turn([], state)
    assert turn.intent == "out_of_scope" and turn.handoff == "action:action_default_fallback"


def test_an_earlier_handoff_action_does_not_count_again() -> None:
    state = tracker(user("request_human", 0.9), action("utter_handoff"), {"event": "pause"},
                    {"event": "resume"}, user("greet", 0.98), action("utter_greet"))
    assert read_turn([{"text": "Hey!"}], state).handoff is None


def test_bad_answers_are_dropped_not_stored() -> None:
    assert bot_message({"image": "javascript:alert(1)"}) is None
    assert bot_message({"image": "data:image/png;base64,AAAA", "text": "hi"}) == BotMessage("hi")
    assert bot_message({"custom": {"blob": "x" * 20_000}}) is None
    assert bot_message({"text": 12}) is None
    message = bot_message({"text": "pick", "buttons": [
        {"title": "no payload"}, {"payload": "/x"}, {"title": "long", "payload": "/" + "x" * 300},
    ]})
    # A button without a payload sends its title, as Rasa's own web channels do.
    assert message == BotMessage("pick", (QuickReply("no payload", "no payload"),))


def test_the_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="RASA_URL"):
        RasaAssistant("127.0.0.1:5005")
