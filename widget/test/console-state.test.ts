import assert from "node:assert/strict";
import { test } from "node:test";
import { heldBy } from "../src/console/chat";
import { pageTitle } from "../src/console/notify";
import type { Conversation } from "../src/shared/protocol";

const conv = (state: string, agentId: string | null): Conversation => ({
  id: "c1",
  state,
  queue_position: null,
  eta_s: null,
  agent: agentId ? { id: agentId, name: "x" } : null,
  last_seq: 3,
  created_at: "2026-01-01T00:00:00Z",
});

test("a chat stays in a console only while assigned to that agent", () => {
  assert.equal(heldBy(conv("assigned", "a1"), "a1"), true);
  assert.equal(heldBy(conv("assigned", "a2"), "a1"), false); // transferred away
  for (const state of ["bot", "queued", "closed", "abandoned"]) assert.equal(heldBy(conv(state, null), "a1"), false);
});

test("the page title carries new chats and unread messages", () => {
  assert.equal(pageTitle("tsunagu", "New chat", 0, 0), "tsunagu");
  assert.equal(pageTitle("tsunagu", "New chat", 0, 3), "(3) tsunagu");
  assert.equal(pageTitle("tsunagu", "New chat", 1, 2), "● New chat · (2) tsunagu");
});
