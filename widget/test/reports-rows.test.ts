import assert from "node:assert/strict";
import { test } from "node:test";
import { consoleStrings } from "../src/console/i18n";
import { alignSeries, atThreshold, extent, orderAgents, orderIntents, orderThresholdIntents, waitBars } from "../src/console/reports/rows";
import type { IntentRow } from "../src/console/reports/types";

const intent = (name: string | null, conversations: number, escalated: number, unresolved: number): IntentRow => ({
  intent: name,
  conversations,
  deflection: null,
  escalated,
  unresolved,
  csat_mean: null,
});

test("intents that fail most come first", () => {
  const rows = [intent("greet_like", 50, 0, 1), intent("refund_status", 40, 6, 4), intent(null, 9, 0, 9), intent("billing", 20, 3, 7), intent("shipping", 80, 0, 0)];
  // refund 10, billing 10 (larger share: 50% vs 25%), then no intent 9, greet 1, shipping 0
  assert.deepEqual(
    orderIntents(rows).map((r) => r.intent),
    ["billing", "refund_status", null, "greet_like", "shipping"],
  );
  assert.equal(rows[0]!.intent, "greet_like", "the input is left alone");
});

test("agents by chats, then name", () => {
  const a = (name: string, chats: number) => ({ agent_id: name, name, chats, human_frt_p50_s: null, aht_p50_s: null, csat_mean: null, utilisation: null });
  assert.deepEqual(
    orderAgents([a("Sato", 3), a("Abe", 3), a("Kato", 9)]).map((r) => r.name),
    ["Kato", "Abe", "Sato"],
  );
});

test("wait buckets: a label from the previous bound, bars relative to the largest", () => {
  const u = consoleStrings("en").reports.units;
  const bars = waitBars(
    [
      { le_s: null, count: 1 },
      { le_s: 10, count: 4 },
      { le_s: 30, count: 8 },
      { le_s: 60, count: 2 },
      { le_s: 120, count: 0 },
      { le_s: 300, count: 0 },
      { le_s: 600, count: 0 },
    ],
    u,
  );
  assert.deepEqual(
    bars.map((b) => [b.label, b.count, b.ratio]),
    [
      ["0–10 s", 4, 0.5],
      ["10 s–30 s", 8, 1],
      ["30 s–1 min", 2, 0.25],
      ["1 min–2 min", 0, 0],
      ["2 min–5 min", 0, 0],
      ["5 min–10 min", 0, 0],
      ["> 10 min", 1, 0.125],
    ],
  );
  assert.equal(waitBars([{ le_s: 60, count: 0 }], consoleStrings("ja").reports.units)[0]!.label, "0–1 分");
  assert.deepEqual(waitBars([], u), []);
});

test("the simulated point at the threshold in force", () => {
  const pts = [0.3, 0.4, 0.5, 0.6].map((threshold) => ({ threshold, fallback_share: threshold / 2, escalation_share: threshold / 10 }));
  assert.equal(atThreshold(pts, 0.5)?.threshold, 0.5);
  assert.equal(atThreshold(pts, 0.43)?.threshold, 0.4);
  assert.equal(atThreshold([], 0.5), null);
  const it = (name: string, messages: number, fb: number | null) => ({ intent: name, messages, fallback_share_at_current: fb, points: [] });
  assert.deepEqual(
    orderThresholdIntents([it("a", 5, 0.1), it("b", 50, 0.4), it("c", 9, null), it("d", 20, 0.4)]).map((r) => r.intent),
    ["b", "d", "a", "c"],
  );
});

test("series lined up on their bucket starts", () => {
  const c = alignSeries([
    [
      { t: "2026-05-10T00:00:00+09:00", value: 3 },
      { t: "2026-05-11T00:00:00+09:00", value: 0 },
    ],
    [
      { t: "2026-05-11T00:00:00+09:00", value: 0.5 },
      { t: "2026-05-10T00:00:00+09:00", value: null },
    ],
  ]);
  assert.deepEqual(c.xs, [Date.parse("2026-05-09T15:00:00Z") / 1000, Date.parse("2026-05-10T15:00:00Z") / 1000]);
  assert.deepEqual(c.ts, ["2026-05-10T00:00:00+09:00", "2026-05-11T00:00:00+09:00"]);
  assert.deepEqual(c.ys, [
    [3, 0],
    [null, 0.5],
  ]);
  assert.deepEqual(alignSeries([[], []]), { xs: [], ts: [], ys: [[], []] });
  assert.deepEqual(extent([null, 2, 5, null]), { min: 2, max: 5, sum: 7, n: 2 });
  assert.equal(extent([null]), null);
});
