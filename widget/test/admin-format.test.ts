import assert from "node:assert/strict";
import { test } from "node:test";
import { json, localeCounts, pct0, pct1, points, problemText, signed, when } from "../src/console/admin/format";
import { isRunning, percent } from "../src/console/admin/jobs";
import { consoleStrings } from "../src/console/i18n";

test("percentages", () => {
  assert.equal(pct1(0.8753), "87.5%");
  assert.equal(pct1(1), "100.0%");
  assert.equal(pct1(0), "0.0%");
  assert.equal(pct1(null), "—");
  assert.equal(pct1(Number.NaN), "—");
  assert.equal(pct0(0.724), "72%");
  assert.equal(pct0(undefined), "—");
});

test("differences in points with a real minus sign", () => {
  assert.deepEqual(points(0.912, 0.9), { text: "+1.2 pt", value: 1.2 });
  assert.deepEqual(points(0.88, 0.9), { text: "−2.0 pt", value: -2 });
  assert.deepEqual(points(0.9, 0.9), { text: "±0.0 pt", value: 0 });
  assert.deepEqual(points(0.9, null), { text: "—", value: null });
  assert.equal(signed(-0.061, 2), "−0.06");
  assert.equal(signed(3, 0), "+3");
});

test("small texts", () => {
  assert.equal(localeCounts({ ja: 3, en: 0 }), "ja 3");
  assert.equal(localeCounts({ ja: 3, en: 1 }), "ja 3 · en 1");
  assert.equal(localeCounts({}), "—");
  assert.equal(problemText({ file: "data/nlu.yml", line: 12, message: "bad indent" }), "data/nlu.yml:12: bad indent");
  assert.equal(problemText({ file: "domain.yml", line: null, message: "no responses" }), "domain.yml: no responses");
  assert.equal(json(null), "—");
  assert.equal(json({ a: 1 }), '{\n  "a": 1\n}');
  assert.equal(when("not a date", "en"), "—");
  assert.notEqual(when("2026-03-01T10:00:00Z", "en"), "—");
});

test("job progress", () => {
  assert.equal(percent({ state: "running", progress: 0.424 }), 42);
  assert.equal(percent({ state: "running", progress: 1.7 }), 100);
  assert.equal(percent({ state: "done", progress: 0.9 }), 100);
  assert.equal(percent({ state: "queued", progress: Number.NaN }), 0);
  assert.equal(isRunning({ state: "queued" }), true);
  assert.equal(isRunning({ state: "failed" }), false);
  assert.equal(isRunning(null), false);
});

/** Every key path of a strings table, nested objects included. */
function keys(o: object, prefix = ""): string[] {
  return Object.entries(o)
    .flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
    .sort();
}

test("the console's Japanese and English tables have the same texts", () => {
  assert.deepEqual(keys(consoleStrings("ja")), keys(consoleStrings("en")));
  const a = consoleStrings("en").admin;
  assert.equal(a.tabs.inbox, "Inbox");
  assert.equal(consoleStrings("ja").admin.open, "管理");
  assert.equal(a.replay(3, 40, 7), "3 of 40 answers would change (visitor messages of the last 7 days).");
});
