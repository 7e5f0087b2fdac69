import assert from "node:assert/strict";
import { test } from "node:test";
import type { PendingMessage } from "../src/shared/outbox";
import type { Message } from "../src/shared/protocol";
import { Transcript } from "../src/shared/transcript";

function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    sender: "bot",
    author: null,
    text: `text ${seq}`,
    quick_replies: [],
    client_id: null,
    ts: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

test("merge orders by seq and keeps each seq once", () => {
  const t = new Transcript();
  assert.equal(t.merge([msg(2), msg(1)]), true);
  assert.equal(t.merge([msg(1), msg(2)]), false); // the same again (live + sync): no change
  t.merge([msg(3)]);
  assert.deepEqual(t.messages().map((m) => m.seq), [1, 2, 3]);
  assert.equal(t.lastSeq, 3);
});

test("a pending message disappears once its stored copy arrives", () => {
  const t = new Transcript();
  const p: PendingMessage = { client_id: "k1", text: "hi", created: 1 };
  assert.deepEqual(t.entries([p], new Map()).map((e) => e.kind), ["pending"]);
  t.merge([msg(1, { sender: "visitor", client_id: "k1", text: "hi" })]);
  const entries = t.entries([p], new Map());
  assert.deepEqual(entries.map((e) => [e.kind, e.key]), [["stored", "c:k1"]]);
});

test("pending messages keep their typing order after stored ones", () => {
  const t = new Transcript();
  t.merge([msg(1)]);
  const a: PendingMessage = { client_id: "a", text: "a", created: 2 };
  const b: PendingMessage = { client_id: "b", text: "b", created: 1 };
  assert.deepEqual(t.entries([a, b], new Map([["a", "too long"]])).map((e) => e.key), ["m:m1", "c:b", "c:a"]);
});

test("a new conversation restarts seq but keeps the ended one on screen", () => {
  const t = new Transcript();
  t.merge([msg(1), msg(2)]);
  t.merge([msg(1, { id: "n1", conversation_id: "c2" })]);
  assert.equal(t.conversation, "c2");
  assert.equal(t.lastSeq, 1);
  assert.deepEqual(t.entries([], new Map()).map((e) => e.key), ["m:m1", "m:m2", "m:n1"]);
  t.useConversation(null, false);
  assert.deepEqual(t.entries([], new Map()), []);
});
