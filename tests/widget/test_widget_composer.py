"""Issue 13 (composer part): the widget's text limit counts emoji the way the
gateway does (code points), so an emoji-heavy text the counter accepts is sent
and stored intact; and Enter that confirms an IME conversion (Japanese input)
does not send. Real gateway, real Chromium (fixtures of the main browser tests).

The read-receipt part of issue 13 is not implemented yet.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.widget import test_widget_browser as base

pytestmark = pytest.mark.timeout(120)

open_page = base.open_page

# A ZWJ sequence: 4 emoji joined by 3 zero-width joiners = 7 code points, 11 UTF-16 units.
FAMILY = "\U0001F469\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"


def test_emoji_heavy_text_at_the_limit_is_counted_and_sent_intact(
    open_page: Any, gateway_process: Any, aloop: Any
) -> None:
    w = open_page(locale="en-US")
    w.open()
    limit = w.page.locator("tsunagu-chat .composer .limit")
    text = FAMILY * 285 + "\U0001F600" * 5  # 1,995 + 5 = 2,000 code points (3,145 UTF-16 units)
    assert len(text) == 2_000
    w.input.focus()
    w.page.keyboard.insert_text(text + "\U0001F600")  # one code point over
    expect(limit).to_contain_text("1 characters too many")
    expect(w.input).to_have_attribute("aria-invalid", "true")

    w.input.fill(text)  # exactly at the limit: counted as 2,000, not 3,145
    expect(limit).to_contain_text("2,000 / 2,000")
    expect(w.input).not_to_have_attribute("aria-invalid", "true")
    w.input.press("Enter")
    expect(w.stored("visitor")).to_have_count(1)
    expect(w.input).to_have_value("")
    rows = aloop.run(base._stored_messages(gateway_process.database_url, w.visitor_id()))
    sent = [r["text"] for r in rows if r["sender"] == "visitor"]
    assert sent == [text], "the gateway refused or cut it"


IME_ENTER_JS = """(ta, composing) => {
  const ime = (type, data) => ta.dispatchEvent(new CompositionEvent(type, {bubbles: true, data}));
  if (composing) ime('compositionstart', '');
  ta.dispatchEvent(new KeyboardEvent('keydown', {
    key: 'Enter', code: 'Enter', bubbles: true, cancelable: true, composed: true,
    isComposing: composing,
  }));
  if (composing) ime('compositionend', '日本語');
}"""


def test_enter_while_an_ime_is_composing_does_not_send(open_page: Any) -> None:
    w = open_page(locale="ja-JP")
    w.open()
    w.input.fill("にほんご")
    w.input.evaluate(IME_ENTER_JS, True)  # Enter confirming the kana→kanji conversion
    w.page.wait_for_timeout(500)
    expect(w.page.locator("tsunagu-chat .log .msg-visitor")).to_have_count(0)
    expect(w.input).to_have_value("にほんご")

    w.input.evaluate(IME_ENTER_JS, False)  # the next, plain Enter sends
    expect(w.stored("visitor")).to_have_count(1)
    expect(w.input).to_have_value("")
