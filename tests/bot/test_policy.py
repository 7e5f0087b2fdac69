"""The dialogue policy through Bot.respond: answer, clarify, fall back, escalate, feedback."""

from __future__ import annotations

import functools

from bot.assistant import Bot
from bot.decision import Action
from bot.nlu import OUT_OF_SCOPE, Prediction
from bot.policy import DialogueState
from bot.responses import ResponseCatalog
from bot.training_data import load_training_data

from .conftest import TRAINING_DIR


class ScriptedClassifier:
    """Returns the predictions it is given, in order, whatever the text."""

    def __init__(self, *predictions: Prediction) -> None:
        self.predictions = list(predictions)

    def parse(self, text: str) -> Prediction:
        return self.predictions.pop(0)


@functools.cache
def shipped_responses() -> ResponseCatalog:
    data = load_training_data(TRAINING_DIR)
    return ResponseCatalog(data.responses, data.labels)


def scripted_bot(*predictions: Prediction) -> Bot:
    return Bot(ScriptedClassifier(*predictions), shipped_responses(), version="test")


def oos(confidence: float = 0.1) -> Prediction:
    return Prediction(OUT_OF_SCOPE, confidence, (("order_status", confidence), ("coupon", 0.05)))


def test_answer_in_the_visitors_language_then_ask_if_it_helped(bot: Bot) -> None:
    decision = bot.respond("注文した商品がまだ届きません", locale="en")
    assert decision.action is Action.REPLY
    assert decision.intent == "order_status" and decision.confidence is not None
    assert "注文履歴" in decision.text and "解決しましたか" in decision.text
    assert [q.payload for q in decision.quick_replies][-2:] == ["/feedback:yes", "/feedback:no"]
    assert decision.state["awaiting_feedback"] == "order_status"
    assert decision.state["language"] == "ja"

    english = bot.respond("where is my order?", locale="ja")
    assert english.state["language"] == "en" and "Order history" in english.text


def test_feedback_yes_resolves(bot: Bot) -> None:
    answer = bot.respond("how do I reset my password")
    clicked = bot.respond("Yes", payload="/feedback:yes", state=answer.state)
    assert clicked.resolved is True and clicked.action is Action.REPLY
    assert clicked.state["awaiting_feedback"] is None
    typed = bot.respond("はい、解決しました", state=bot.respond("パスワードを忘れました").state)
    assert typed.resolved is True and typed.intent == "affirm"


def test_feedback_no_offers_a_person(bot: Bot) -> None:
    answer = bot.respond("how much is shipping?")
    decision = bot.respond("No", payload="/feedback:no", state=answer.state)
    assert decision.action is Action.REPLY and not decision.resolved
    assert [q.payload for q in decision.quick_replies] == ["/request_human"]
    # Without a pending question "yes" is just small talk, not a resolution.
    assert bot.respond("yes").resolved is False


def test_request_human_escalates(bot: Bot) -> None:
    typed = bot.respond("オペレーターと話したいです")
    assert typed.action is Action.ESCALATE and typed.intent == "request_human"
    assert typed.priority == 0 and typed.text
    clicked = bot.respond("Talk to a person", payload="/request_human")
    assert clicked.action is Action.ESCALATE and clicked.confidence == 1.0


def test_complaint_escalates_with_priority_and_empathy(bot: Bot) -> None:
    decision = bot.respond("対応が最悪です、責任者を出してください")
    assert decision.action is Action.ESCALATE and decision.intent == "complaint"
    assert decision.priority == 1
    assert "申し訳" in decision.text


def test_two_fallbacks_in_a_row_escalate() -> None:
    bot = scripted_bot(oos(), oos())
    first = bot.respond("hmm what")
    assert first.action is Action.FALLBACK and first.intent == OUT_OF_SCOPE
    payloads = [q.payload for q in first.quick_replies]
    assert payloads[0] == "/intent:order_status" and payloads[-1] == "/request_human"
    assert first.state["fallbacks"] == 1
    second = bot.respond("blah", state=first.state)
    assert second.action is Action.ESCALATE and second.priority == 0
    assert second.intent == OUT_OF_SCOPE


def test_an_answer_between_fallbacks_resets_the_count() -> None:
    answer = Prediction("coupon", 0.95, (("coupon", 0.95), ("shipping_fee", 0.01)))
    bot = scripted_bot(oos(), answer, oos())
    first = bot.respond("??")
    second = bot.respond("coupon", state=first.state)
    third = bot.respond("??", state=second.state)
    assert second.action is Action.REPLY and third.action is Action.FALLBACK


def test_close_intents_ask_which_one() -> None:
    close = Prediction("refund_status", 0.45, (("refund_status", 0.45), ("return_exchange", 0.4)))
    bot = scripted_bot(close)
    decision = bot.respond("about my return money")
    assert decision.action is Action.CLARIFY and decision.intent == "refund_status"
    assert [q.payload for q in decision.quick_replies] == [
        "/intent:refund_status",
        "/intent:return_exchange",
        "/request_human",
    ]
    assert decision.quick_replies[0].title == "Refund status"


def test_clicked_intent_payload_answers_that_intent() -> None:
    bot = scripted_bot()  # the classifier must not be asked
    decision = bot.respond("返品・交換", payload="/intent:return_exchange")
    assert decision.action is Action.REPLY and decision.intent == "return_exchange"
    assert decision.confidence == 1.0 and "返品" in decision.text


def test_short_text_keeps_the_conversation_language(bot: Bot) -> None:
    first = bot.respond("こんにちは", locale="en")
    assert first.state["language"] == "ja"
    later = bot.respond("ok", locale="en", state=first.state)
    assert later.state["language"] == "ja"
    assert bot.respond("ok", locale="ja-JP").state["language"] == "ja"


def test_state_round_trips_and_ignores_garbage() -> None:
    state = DialogueState("ja", 1, "coupon", "coupon")
    assert DialogueState.from_dict(state.to_dict()) == state
    assert DialogueState.from_dict({"fallbacks": "many", "language": 3}) == DialogueState()


def test_respond_async_gives_the_same_decision(bot: Bot) -> None:
    import asyncio

    decision = asyncio.run(bot.respond_async("クーポンが使えません"))
    assert decision == bot.respond("クーポンが使えません")


def test_decision_carries_the_top_three_of_the_ranking() -> None:
    ranked = (("order_status", 0.6), ("coupon", 0.2), ("refund_status", 0.1), ("greet", 0.05))
    decision = scripted_bot(Prediction("order_status", 0.6, ranked)).respond("where is it")
    assert decision.confidence == 0.6
    assert decision.ranking == ranked[:3]
    clicked = scripted_bot().respond("Coupons", payload="/intent:coupon")
    assert clicked.ranking == (("coupon", 1.0),)
