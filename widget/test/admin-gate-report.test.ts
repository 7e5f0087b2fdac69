import assert from "node:assert/strict";
import { test } from "node:test";
import { figureRows, intentRows, modelAction, refusalReport } from "../src/console/admin/gate-report";
import type { GateReport } from "../src/console/admin/types";

const report: GateReport = {
  passed: false,
  reasons: ["in-scope accuracy 88.0% is 2.0 points below the active model's 90.0%"],
  max_drop_points: 1.0,
  active_version: "v3",
  candidate: { in_scope_accuracy: 0.88, accuracy_by_language: { ja: 0.9, en: 0.86 }, oos_recall: 0.755, examples: 420, folds: 5 },
  active: { in_scope_accuracy: 0.9, accuracy_by_language: { ja: 0.9, en: 0.9 }, oos_recall: null, examples: 400, folds: 5 },
  per_intent: [
    { intent: "greet", f1_active: 0.95, f1_candidate: 0.96, delta: 0.01, regression: false },
    { intent: "refund_status", f1_active: 0.8, f1_candidate: 0.7, delta: -0.1, regression: true },
    { intent: "billing_problem", f1_active: 0.9, f1_candidate: 0.82, delta: -0.08, regression: true },
    { intent: "gift_wrapping", f1_active: null, f1_candidate: 0.7, delta: null, regression: false },
    { intent: "affirm", f1_active: 0.99, f1_candidate: null, delta: null, regression: false },
  ],
  replay: { days: 7, messages: 40, changed: 1, changes: [] },
};

test("figures: candidate beside active, points of difference, lower ones marked", () => {
  const rows = figureRows(report);
  assert.deepEqual(
    rows.map((r) => [r.key, r.active, r.candidate, r.delta, r.worse]),
    [
      ["in_scope", "90.0%", "88.0%", "−2.0 pt", true],
      ["ja", "90.0%", "90.0%", "±0.0 pt", false],
      ["en", "90.0%", "86.0%", "−4.0 pt", true],
      ["oos", "—", "75.5%", "—", false],
      ["examples", "400", "420", "+20", false],
      ["folds", "5", "5", "±0", false],
    ],
  );
});

test("a first model has nothing to compare with", () => {
  const rows = figureRows({ ...report, active: null, active_version: null });
  assert.deepEqual(rows[0], { key: "in_scope", active: "—", candidate: "88.0%", delta: "—", worse: false });
});

test("per-intent F1: regressions first, largest drop on top, then by name", () => {
  const rows = intentRows(report);
  assert.deepEqual(
    rows.map((r) => r.intent),
    ["refund_status", "billing_problem", "affirm", "gift_wrapping", "greet"],
  );
  assert.deepEqual(rows[0], { intent: "refund_status", active: "0.80", candidate: "0.70", delta: "−0.10", regression: true, only: null });
  assert.equal(rows.find((r) => r.intent === "gift_wrapping")?.only, "candidate");
  assert.equal(rows.find((r) => r.intent === "affirm")?.only, "active");
});

test("what a version's button does", () => {
  assert.equal(modelAction({ active: true, activated_at: "2026-01-01T00:00:00Z" }), "none");
  assert.equal(modelAction({ active: false, activated_at: "2026-01-01T00:00:00Z" }), "rollback");
  assert.equal(modelAction({ active: false, activated_at: null }), "activate");
});

test("a gate refusal's report comes from the 409 body when there is one", () => {
  const other = { ...report, reasons: ["other"] };
  assert.equal(refusalReport({ ok: false, error: "gate_refused", report: other }, report), other);
  assert.equal(refusalReport({ ok: false, error: "gate_refused" }, report), report);
  assert.equal(refusalReport(null, null), null);
});
