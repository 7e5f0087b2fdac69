import assert from "node:assert/strict";
import { test } from "node:test";
import { Outbox } from "../src/shared/outbox";
import type { KeyValueStore } from "../src/shared/storage";

class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  get(k: string) {
    return this.data.get(k) ?? null;
  }
  set(k: string, v: string) {
    this.data.set(k, v);
  }
  remove(k: string) {
    this.data.delete(k);
  }
}

test("messages are persisted before sending and in order", () => {
  const store = new MemoryStore();
  const box = new Outbox(store, "k");
  const a = box.add("one");
  const b = box.add("two", "/intent:x");
  assert.match(a.client_id, /^[0-9a-f-]{36}$/);
  assert.notEqual(a.client_id, b.client_id);
  // A second instance (a reload, another tab) sees the same queue.
  assert.deepEqual(new Outbox(store, "k").list().map((p) => [p.text, p.payload]), [["one", undefined], ["two", "/intent:x"]]);
});

test("remove takes one message out and clears the key when empty", () => {
  const store = new MemoryStore();
  const box = new Outbox(store, "k");
  const a = box.add("one");
  const b = box.add("two");
  assert.equal(box.remove(a.client_id), true);
  assert.equal(box.remove(a.client_id), false);
  assert.deepEqual(box.list().map((p) => p.client_id), [b.client_id]);
  box.remove(b.client_id);
  assert.equal(store.get("k"), null);
});

test("corrupt storage is treated as empty, not as a crash", () => {
  const store = new MemoryStore();
  store.set("k", "{not json");
  assert.deepEqual(new Outbox(store, "k").list(), []);
  store.set("k", JSON.stringify([{ nope: 1 }, { client_id: "x", text: "ok", created: 1 }]));
  assert.deepEqual(new Outbox(store, "k").list().map((p) => p.client_id), ["x"]);
});
