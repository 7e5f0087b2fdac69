import assert from "node:assert/strict";
import { test } from "node:test";
import { asLocale, pickLocale, strings } from "../src/shared/i18n";

test("the browser's language wins over the site's data-locale", () => {
  assert.equal(pickLocale(["en-US"], "ja"), "en");
  assert.equal(pickLocale(["ja-JP"], "en"), "ja");
  assert.equal(pickLocale(["fr-FR", "ja"], "en"), "ja");
});

test("the site's data-locale when the browser speaks neither; English last", () => {
  assert.equal(pickLocale(["fr-FR", "de"], "ja"), "ja");
  assert.equal(pickLocale([], "ja-JP"), "ja");
  assert.equal(pickLocale(["de"], "xx"), "en");
  assert.equal(pickLocale([], undefined), "en");
});

test("asLocale keeps only the languages we have", () => {
  assert.equal(asLocale("ja-JP"), "ja");
  assert.equal(asLocale("EN_gb"), "en");
  assert.equal(asLocale("fr"), null);
  assert.equal(asLocale(null), null);
});

test("both tables have every text", () => {
  assert.deepEqual(Object.keys(strings("ja")).sort(), Object.keys(strings("en")).sort());
});

test("queue wording", () => {
  assert.equal(strings("en").queued(2, 3), "Connecting you to a person — you are number 2, about 3 minutes");
  assert.equal(strings("en").queued(1, 1), "Connecting you to a person — you are number 1, about 1 minute");
  assert.equal(strings("ja").queued(2, 3), "担当者におつなぎしています — あなたは 2 番目です（約 3 分）");
  assert.equal(strings("en").queued(null, null), "Connecting you to a person");
});

test("reply time wording", () => {
  const en = strings("en");
  const ja = strings("ja");
  assert.equal(en.repliesIn(40), "Usually replies in under a minute");
  assert.equal(en.repliesIn(150), "Usually replies in a few minutes");
  assert.equal(en.repliesIn(1000), "Usually replies in about 20 minutes");
  assert.equal(en.repliesIn(3600), "Usually replies in about 1 hour");
  assert.equal(en.repliesIn(3 * 3600), "Usually replies in about 3 hours");
  assert.equal(ja.repliesIn(150), "通常数分で返信します");
  assert.equal(ja.repliesIn(1000), "通常約 20 分で返信します");
});
