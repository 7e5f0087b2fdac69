import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activateBody,
  answerProblem,
  assignBody,
  exampleBody,
  guessLocale,
  importBody,
  nameProblem,
  newIntentBody,
  newIntentProblem,
  nextRevision,
  outOfScopeBody,
  updateIntentBody,
  type AnswerDraft,
} from "../src/console/admin/requests";

const draft = (text: string, rows: [string, string][] = [], label = ""): AnswerDraft => ({
  text,
  label,
  quick_replies: rows.map(([title, payload]) => ({ title, payload })),
});

test("intent names follow docs/admin.md", () => {
  for (const ok of ["gift_wrapping", "ab", "a1_b2", "out_of_scope"]) assert.equal(nameProblem(ok), null, ok);
  for (const bad of ["", "a", "Gift", "1abc", "gift-wrapping", "ギフト", "a".repeat(65)]) assert.equal(nameProblem(bad), "name", bad);
  assert.equal(nameProblem("  gift_wrapping "), null);
});

test("labelling a group: assign, out of scope, new intent", () => {
  assert.deepEqual(assignBody(" order_status ", ["m1", "m2"]), { intent: "order_status", message_ids: ["m1", "m2"] });
  assert.deepEqual(outOfScopeBody(["m3"]), { intent: "out_of_scope", message_ids: ["m3"] });
  assert.deepEqual(newIntentBody("gift_wrapping", " 承ります ", "We can wrap it. ", ["m1"]), {
    name: "gift_wrapping",
    responses: { ja: "承ります", en: "We can wrap it." },
    message_ids: ["m1"],
  });
  // From the Intents tab there are no messages: the key is left out.
  assert.deepEqual(newIntentBody("gift_wrapping", "a", "b"), { name: "gift_wrapping", responses: { ja: "a", en: "b" } });
  assert.equal(newIntentProblem("Gift", "a", "b"), "name");
  assert.equal(newIntentProblem("gift", "a", "  "), "answers");
  assert.equal(newIntentProblem("gift", "a", "b"), null);
});

test("one example, and the language guessed from its script", () => {
  assert.deepEqual(exampleBody("greet", "ja", " こんにちは "), { intent: "greet", locale: "ja", text: "こんにちは" });
  assert.equal(guessLocale("注文はいつ届きますか"), "ja");
  assert.equal(guessLocale("カタカナ"), "ja");
  assert.equal(guessLocale("where is my order?"), "en");
});

test("an edit sends the languages that have an answer, with clean button rows", () => {
  const loaded = { responses: { ja: { text: "old", quick_replies: [] }, en: null }, labels: { ja: "注文" } };
  const body = updateIntentBody(4, { ja: draft(" 新しい回答 ", [[" はい ", " /affirm "], ["", ""]], " 注文状況 "), en: draft("  ") }, loaded);
  assert.deepEqual(body, {
    revision: 4,
    responses: { ja: { text: "新しい回答", quick_replies: [{ title: "はい", payload: "/affirm" }] } },
    labels: { ja: "注文状況" },
  });
  // Writing an English answer where there was none sends it; clearing a label sends the empty one.
  const body2 = updateIntentBody(4, { ja: draft("x"), en: draft("Hello", [], "Greeting") }, loaded);
  assert.deepEqual(body2.responses?.en, { text: "Hello", quick_replies: [] });
  assert.deepEqual(body2.labels, { ja: "", en: "Greeting" });
});

test("a button needs a title and a payload; a language that is sent needs its text", () => {
  const loaded = { responses: { ja: { text: "old", quick_replies: [] }, en: null }, labels: {} };
  assert.equal(answerProblem({ ja: draft("x", [["", "/affirm"]]), en: draft("") }, loaded), "qrRow");
  assert.equal(answerProblem({ ja: draft("x", [["Yes", ""]]), en: draft("") }, loaded), "qrRow");
  assert.equal(answerProblem({ ja: draft("x", [["", ""]]), en: draft("") }, loaded), null); // an empty row is dropped
  assert.equal(answerProblem({ ja: draft("  "), en: draft("") }, loaded), "answerText"); // ja had an answer
  assert.equal(answerProblem({ ja: draft("x"), en: draft("", [["Yes", "/affirm"]]) }, loaded), "answerText");
});

test("our own example change moves the edit's revision only when nobody else changed the intent", () => {
  assert.equal(nextRevision(4, 5), 5);
  assert.equal(nextRevision(4, 4), 4);
  assert.equal(nextRevision(4, 7), 4); // someone else saved too: Save must meet the 409
});

test("activation carries a reason only when one is written", () => {
  assert.deepEqual(activateBody(), {});
  assert.deepEqual(activateBody("   "), {});
  assert.deepEqual(activateBody(" the new intents matter more "), { reason: "the new intents matter more" });
});

test("import sends the YAML files only", () => {
  assert.deepEqual(
    importBody([
      { name: "nlu.yml", content: "a" },
      { name: "domain.YAML", content: "b" },
      { name: "notes.txt", content: "c" },
    ]),
    { files: [{ name: "nlu.yml", content: "a" }, { name: "domain.YAML", content: "b" }] },
  );
});
