import assert from "node:assert/strict";
import { test } from "node:test";
import { formatSize } from "../src/shared/attachments";
import { uploadError } from "../src/shared/attach-button";
import { strings } from "../src/shared/i18n";
import { Outbox } from "../src/shared/outbox";
import type { KeyValueStore } from "../src/shared/storage";

test("sizes are short and in the reader's number format", () => {
  assert.equal(formatSize(999, "en"), "999 B");
  assert.equal(formatSize(65_536, "en"), "65.5 KB");
  assert.equal(formatSize(10 * 1024 * 1024, "en"), "10.5 MB");
  assert.equal(formatSize(1_500_000, "de"), "1,5 MB");
});

test("a refusal is said by its code in the reader's language, never the gateway's English", () => {
  const en = strings("en");
  const ja = strings("ja");
  const tooLarge = { ok: false as const, error: "too_large", message: "a file may have at most 65536 bytes", max_bytes: 65_536 };
  assert.equal(uploadError(en, tooLarge, "en"), "This file is too large (up to 65.5 KB).");
  assert.equal(uploadError(ja, tooLarge, "ja"), "ファイルが大きすぎます（65.5 KB まで）。");
  const wrong = { ok: false as const, error: "unsupported_type", message: "only PNG…" };
  assert.equal(uploadError(ja, wrong, "ja"), ja.fileWrongType);
  assert.equal(uploadError(en, { ok: false, error: "unavailable", message: "network error" }, "en"), en.fileFailed);
});

test("a file waits in the outbox with its message, text or not", () => {
  const data = new Map<string, string>();
  const store: KeyValueStore = { get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v), remove: (k) => void data.delete(k) };
  const file = { id: "a".repeat(32), name: "receipt.png", type: "image/png", size: 1032 };
  new Outbox(store, "k").add("", undefined, [file]);
  assert.deepEqual(new Outbox(store, "k").list().map((p) => [p.text, p.attachments]), [["", [file]]]);
});
