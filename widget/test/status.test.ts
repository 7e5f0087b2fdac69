import assert from "node:assert/strict";
import { test } from "node:test";
import { describe } from "../src/embed/status";
import { strings } from "../src/shared/i18n";
import type { Conversation } from "../src/shared/protocol";

const t = strings("en");
const base: Conversation = {
  id: "c1",
  state: "bot",
  queue_position: null,
  eta_s: null,
  agent: null,
  last_seq: 1,
  created_at: "2026-01-01T00:00:00Z",
};

test("queued shows position and minutes, rounded up", () => {
  const v = describe({ ...base, state: "queued", queue_position: 3, eta_s: 61 }, t);
  assert.equal(v.banner, "Connecting you to a person — you are number 3, about 2 minutes");
  assert.equal(v.canAskHuman, false);
});

test("assigned names the agent", () => {
  assert.equal(describe({ ...base, state: "assigned", agent: { id: "a", name: "Aiko" } }, t).banner, "Aiko joined the chat");
});

test("closed asks for a rating only when a person took part; abandoned does not", () => {
  assert.equal(describe({ ...base, state: "closed", can_rate: true }, t).panel, "csat");
  assert.equal(describe({ ...base, state: "closed", can_rate: false }, t).panel, "chat");
  assert.equal(describe({ ...base, state: "closed" }, t).panel, "chat");
  assert.equal(describe({ ...base, state: "abandoned" }, t).panel, "chat");
});

test("nobody available, either spelling, offers the choices", () => {
  assert.equal(describe({ ...base, state: "offline" }, t).panel, "choices");
  assert.equal(describe({ ...base, state: "queued", offline: true }, t).panel, "choices");
});

test("the bot's chat offers a person", () => {
  assert.equal(describe(base, t).canAskHuman, true);
  assert.equal(describe(null, t).canEnd, false);
});
