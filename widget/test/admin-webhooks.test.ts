import assert from "node:assert/strict";
import { test } from "node:test";
import { EVENTS, shownState, subscriptionBody, subscriptionProblem, webhookErrorText } from "../src/console/admin/webhook-rules";
import { consoleStrings } from "../src/console/i18n";

test("a pending delivery already tried is retrying", () => {
  assert.equal(shownState({ status: "pending", attempts: 0 }), "pending");
  assert.equal(shownState({ status: "pending", attempts: 1 }), "retrying");
  assert.equal(shownState({ status: "failed", attempts: 8 }), "failed");
  assert.equal(shownState({ status: "delivered", attempts: 3 }), "delivered");
});

test("a new subscription needs an http(s) URL and an event", () => {
  assert.equal(subscriptionProblem("", ["escalated"]), "url");
  assert.equal(subscriptionProblem("ftp://x.example/in", ["escalated"]), "url");
  assert.equal(subscriptionProblem("https://crm.example/in", []), "events");
  assert.equal(subscriptionProblem(" https://crm.example/in ", ["closed"]), null);
});

test("the body sends events in the documented order, once each", () => {
  assert.deepEqual(subscriptionBody(" https://crm.example/in ", "webhook", ["csat", "escalated", "csat"]), {
    url: "https://crm.example/in",
    kind: "webhook",
    events: ["escalated", "csat"],
  });
  assert.equal(subscriptionBody("https://x", "slack", EVENTS, " note ").description, "note");
});

test("refusals are worded from the guard's reason, then the code, never the gateway's English", () => {
  for (const locale of ["en", "ja"] as const) {
    const w = consoleStrings(locale).webhooks;
    const privateUrl = { error: "invalid", message: "url: 127.0.0.1 is not a public address", data: { field: "url", reason: "private_address" } };
    assert.equal(webhookErrorText(w, privateUrl), w.reasons.private_address);
    assert.ok(w.reasons.private_address!.includes("TSUNAGU_WEBHOOK_ALLOW_PRIVATE"));
    assert.equal(webhookErrorText(w, { error: "invalid", data: { reason: "unheard_of" } }), w.errors.invalid);
    assert.equal(webhookErrorText(w, { error: "conflict" }), w.errors.conflict);
    assert.equal(webhookErrorText(w, { error: "teapot", message: "I'm a teapot" } as { error: string }), w.other);
  }
});

test("both languages have every webhook text", () => {
  const en = consoleStrings("en").webhooks;
  const ja = consoleStrings("ja").webhooks;
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const key of ["reasons", "errors", "states", "eventNames", "kinds", "problems"] as const) {
    assert.deepEqual(Object.keys(ja[key]).sort(), Object.keys(en[key]).sort(), key);
  }
  for (const e of EVENTS) assert.ok(en.eventNames[e] && ja.eventNames[e], e);
});
