import assert from "node:assert/strict";
import { test } from "node:test";
import { fillPlaceholders, rankCanned, slashQuery } from "../src/console/canned";
import type { Canned } from "../src/console/types";

const c = (id: number, shortcut: string, locale: string, text: string, title = shortcut): Canned => ({
  id,
  shortcut,
  locale,
  title,
  text,
  placeholders: [],
});

test("agent name and a known visitor name are filled", () => {
  const out = fillPlaceholders("Hi {visitor_name}, this is {agent_name}.", { agent_name: "Aoi", visitor_name: "Ken", locale: "en" });
  assert.equal(out, "Hi Ken, this is Aoi.");
});

test("without a visitor name English says 'there'", () => {
  const out = fillPlaceholders("Hi {visitor_name}, this is {agent_name}.", { agent_name: "Aoi", visitor_name: null, locale: "en" });
  assert.equal(out, "Hi there, this is Aoi.");
});

test("without a visitor name Japanese says お客様, never お客様様", () => {
  const v = { agent_name: "佐藤", visitor_name: null, locale: "ja" };
  assert.equal(fillPlaceholders("{visitor_name}様、担当の{agent_name}です。", v), "お客様、担当の佐藤です。");
  assert.equal(fillPlaceholders("{visitor_name}さん、こんにちは", v), "お客様、こんにちは");
  assert.equal(fillPlaceholders("{visitor_name}、こんにちは", v), "お客様、こんにちは");
});

test("unknown placeholders and $-patterns in names are left as written", () => {
  const out = fillPlaceholders("{order_id} {agent_name}", { agent_name: "$& $1", visitor_name: null, locale: "en" });
  assert.equal(out, "{order_id} $& $1");
});

test("a slash query is only the whole composer", () => {
  assert.equal(slashQuery("/gre"), "gre");
  assert.equal(slashQuery("/"), "");
  assert.equal(slashQuery("/gre more"), null);
  assert.equal(slashQuery("see /gre"), null);
});

test("shortcut prefix beats title and text; the visitor's language first", () => {
  const list = [c(1, "refund", "en", "Refunds take 5 days"), c(2, "greet", "ja", "こんにちは"), c(3, "greet", "en", "Hello"), c(4, "hours", "en", "We greet you 9-18")];
  assert.deepEqual(rankCanned(list, "gre", "en").map((x) => x.id), [3, 2, 4]);
  assert.deepEqual(rankCanned(list, "gre", "ja-JP").map((x) => x.id), [2, 3, 4]);
  assert.deepEqual(rankCanned(list, "", "en").map((x) => x.id), [1, 3, 4, 2]);
  assert.deepEqual(rankCanned(list, "zzz", "en"), []);
});
