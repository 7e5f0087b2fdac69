// The console's conversation links (#conversation=<id>): what they name and
// what survives the trip through the login page.
import assert from "node:assert/strict";
import { test } from "node:test";
import { carriedHash, linkedConversation } from "../src/console/deep-link";

test("a conversation link names its id; other hashes name nothing", () => {
  assert.deepEqual(linkedConversation("#conversation=c_9f2a-01"), { id: "c_9f2a-01" });
  assert.deepEqual(linkedConversation("#x=1&conversation=abc"), { id: "abc" });
  assert.equal(linkedConversation(""), null);
  assert.equal(linkedConversation("#inbox"), null);
});

test("a malformed id is reported as bad, never used", () => {
  assert.deepEqual(linkedConversation("#conversation="), { bad: "" });
  assert.deepEqual(linkedConversation("#conversation=%3Cimg%20src%3Dx%3E"), { bad: "<img src=x>" });
  assert.deepEqual(linkedConversation(`#conversation=${"a".repeat(65)}`), { bad: "a".repeat(65) });
  assert.equal((linkedConversation(`#conversation=${"a/".repeat(100)}`) as { bad: string }).bad.length, 80);
});

test("only a conversation link is carried through sign-in, re-encoded", () => {
  assert.equal(carriedHash("#conversation=abc"), "#conversation=abc");
  assert.equal(carriedHash("#conversation=a%20b"), "#conversation=a%20b");
  assert.equal(carriedHash("#javascript:alert(1)"), "");
  assert.equal(carriedHash(""), "");
});
