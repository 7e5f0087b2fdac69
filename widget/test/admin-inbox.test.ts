import assert from "node:assert/strict";
import { test } from "node:test";
import { outcome, reasonCounts } from "../src/console/admin/inbox-summary";
import { consoleStrings } from "../src/console/i18n";

test("a group's reasons, most common first; ties in the order of usefulness", () => {
  const ex = (reason: string) => ({ reason });
  assert.deepEqual(reasonCounts([ex("low_confidence"), ex("out_of_scope"), ex("low_confidence"), ex("flagged"), ex("out_of_scope"), ex("new_code")]), [
    { code: "low_confidence", count: 2 },
    { code: "out_of_scope", count: 2 },
    { code: "flagged", count: 1 },
    { code: "new_code", count: 1 },
  ]);
  assert.deepEqual(reasonCounts([]), []);
});

test("every stable reason code has a label in both languages", () => {
  for (const code of ["out_of_scope", "low_confidence", "clarified", "not_helped", "escalated", "agent_resolved", "flagged"]) {
    assert.ok(consoleStrings("en").admin.reasons[code], code);
    assert.ok(consoleStrings("ja").admin.reasons[code], code);
  }
});

test("what labelling did, for the status line", () => {
  const added = [{ id: 1 }, { id: 2 }] as never[];
  const o = outcome({ added, skipped: [{ text: "a", reason: "duplicate" }, { text: "b", reason: "other_intent", intent: "greet" }, { text: "c", reason: "too_long" }] });
  assert.deepEqual(o, { added: 2, duplicate: 1, otherIntent: 1, other: 1 });
  const en = consoleStrings("en").admin;
  assert.equal(en.assigned("order_status", 2), "2 examples added to order_status.");
  assert.equal(en.skipped(1, 2), "1 already an example of it; 2 already an example of another intent (skipped)");
  assert.equal(en.skipped(0, 0), "");
});
