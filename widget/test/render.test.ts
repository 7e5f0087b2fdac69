import assert from "node:assert/strict";
import { test } from "node:test";
import { linkify } from "../src/shared/render";

test("plain text stays one text segment, markup included", () => {
  assert.deepEqual(linkify("<img src=x onerror=alert(1)>"), [{ text: "<img src=x onerror=alert(1)>" }]);
});

test("http and https URLs become links", () => {
  assert.deepEqual(linkify("see https://example.com/a?b=1 and http://x.test/"), [
    { text: "see " },
    { text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
    { text: " and " },
    { text: "http://x.test/", href: "http://x.test/" },
  ]);
});

test("sentence punctuation after a URL is not part of it (ja and en)", () => {
  assert.deepEqual(linkify("詳しくは https://example.com/help。"), [
    { text: "詳しくは " },
    { text: "https://example.com/help", href: "https://example.com/help" },
    { text: "。" },
  ]);
  assert.equal((linkify("(https://example.com).")[1] as { href: string }).href, "https://example.com/");
});

test("other schemes are never links", () => {
  for (const text of ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x.test/"]) {
    assert.deepEqual(linkify(text), [{ text }]);
  }
});

test("a URL cannot smuggle quotes or angle brackets into the href", () => {
  const segs = linkify('https://example.com/"><script>');
  assert.deepEqual(segs[0], { text: "https://example.com/", href: "https://example.com/" });
  assert.equal(segs.map((s) => s.text).join(""), 'https://example.com/"><script>');
});
