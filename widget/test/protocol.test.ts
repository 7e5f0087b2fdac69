import assert from "node:assert/strict";
import { test } from "node:test";
import { type Conversation, isOutdated } from "../src/shared/protocol";

const snapshot = (id: string, version?: number): Conversation => ({
  id, state: "queued", queue_position: 1, eta_s: 60, agent: null, last_seq: 2,
  created_at: "2026-01-01T00:00:00Z", version,
});

test("an older snapshot of the same conversation is outdated", () => {
  assert.equal(isOutdated(snapshot("c1", 200), snapshot("c1", 100)), true);
});

test("a newer or equal snapshot is applied", () => {
  assert.equal(isOutdated(snapshot("c1", 100), snapshot("c1", 200)), false);
  assert.equal(isOutdated(snapshot("c1", 100), snapshot("c1", 100)), false);
});

test("another conversation, no current one, or an unversioned snapshot is applied", () => {
  assert.equal(isOutdated(snapshot("c1", 200), snapshot("c2", 100)), false);
  assert.equal(isOutdated(null, snapshot("c1", 100)), false);
  assert.equal(isOutdated(snapshot("c1", 200), snapshot("c1")), false);
});
