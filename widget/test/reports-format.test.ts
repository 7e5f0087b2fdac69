import assert from "node:assert/strict";
import { test } from "node:test";
import { consoleStrings } from "../src/console/i18n";
import { axisDuration, bounds, count, day, duration, formatter, pct, score, threshold } from "../src/console/reports/format";
import { KPIS, type KpiDef, type KpiKey, delta, formatKpi, kpiValue } from "../src/console/reports/kpis";
import type { Summary } from "../src/console/reports/types";

const en = consoleStrings("en").reports.units;
const ja = consoleStrings("ja").reports.units;
const f = formatter("en", en);
const kpi = (key: KpiKey): KpiDef => KPIS.find((k) => k.key === key)!;

test("durations as people read them", () => {
  assert.equal(duration(0.023, en), "0.02 s");
  assert.equal(duration(0.5, en), "0.5 s");
  assert.equal(duration(0.001, en), "0 s");
  assert.equal(duration(0.999, en), "1 s");
  assert.equal(duration(2.46, en), "2.5 s");
  assert.equal(duration(3, en), "3 s");
  assert.equal(duration(9.96, en), "10 s");
  assert.equal(duration(42.4, en), "42 s");
  assert.equal(duration(59.6, en), "1 min");
  assert.equal(duration(245, en), "4 min 5 s");
  assert.equal(duration(4800, en), "1 h 20 min");
  assert.equal(duration(7200, en), "2 h");
  assert.equal(duration(245, ja), "4 分 5 秒");
  assert.equal(duration(4800, ja), "1 時間 20 分");
  assert.equal(duration(null, en), "—");
  assert.equal(duration(Number.NaN, en), "—");
});

test("shares, counts, CSAT, thresholds, days", () => {
  assert.equal(pct(0.8753), "87.5%");
  assert.equal(pct(0), "0.0%");
  assert.equal(pct(null), "—");
  assert.equal(count(12345, "en"), "12,345");
  assert.equal(count(null, "en"), "—");
  assert.equal(score(4.26), "4.3");
  assert.equal(score(null), "—");
  assert.equal(threshold(0.5), "0.50");
  assert.match(day("2026-05-10", "en"), /May 10, 2026/);
  assert.match(day("2026-05-09T09:30:00", "en"), /2026 09:30$/);
});

test("each KPI formatted by its kind", () => {
  assert.equal(formatKpi(kpi("conversations"), 1234, f), "1,234");
  assert.equal(formatKpi(kpi("deflection"), 0.4567, f), "45.7%");
  assert.equal(formatKpi(kpi("wait_p50_s"), 95, f), "1 min 35 s");
  assert.equal(formatKpi(kpi("csat_mean"), 4.04, f), "4.0");
  assert.equal(formatKpi(kpi("fcr"), null, f), "—");
  const s = { conversations: 3, deflection: null, csat_mean: 4.5 } as unknown as Summary;
  assert.equal(kpiValue(s, "conversations"), 3);
  assert.equal(kpiValue(s, "deflection"), null);
  assert.equal(kpiValue(s, "fcr"), null);
});

test("every tile says which way is better", () => {
  const better = Object.fromEntries(KPIS.map((k) => [k.key, k.better]));
  assert.deepEqual(better, {
    conversations: null,
    deflection: "up",
    bot_frt_p50_s: "down",
    human_frt_p50_s: "down",
    wait_p50_s: "down",
    answer_rate: "up",
    abandonment_rate: "down",
    aht_p50_s: "down",
    csat_mean: "up",
    fcr: "up",
  });
});

test("changes: counts relative, rates in points, durations in their unit, CSAT in points of 5", () => {
  assert.deepEqual(delta(kpi("conversations"), 120, 100, f), { text: "+20%", direction: "up", tone: "neutral" });
  assert.deepEqual(delta(kpi("conversations"), 12, 0, f), { text: "+12", direction: "up", tone: "neutral" });
  assert.deepEqual(delta(kpi("conversations"), 0, 0, f), { text: "±0", direction: "flat", tone: "neutral" });
  assert.deepEqual(delta(kpi("deflection"), 0.52, 0.5, f), { text: "+2.0 pt", direction: "up", tone: "good" });
  assert.deepEqual(delta(kpi("abandonment_rate"), 0.12, 0.1, f), { text: "+2.0 pt", direction: "up", tone: "bad" });
  assert.deepEqual(delta(kpi("answer_rate"), 0.8, 0.9, f), { text: "−10.0 pt", direction: "down", tone: "bad" });
  assert.deepEqual(delta(kpi("wait_p50_s"), 30, 45, f), { text: "−15 s", direction: "down", tone: "good" });
  assert.deepEqual(delta(kpi("human_frt_p50_s"), 200, 80, f), { text: "+2 min", direction: "up", tone: "bad" });
  assert.deepEqual(delta(kpi("csat_mean"), 4.3, 4.1, f), { text: "+0.2", direction: "up", tone: "good" });
  assert.deepEqual(delta(kpi("csat_mean"), 4.12, 4.1, f), { text: "±0.0", direction: "flat", tone: "neutral" });
  assert.deepEqual(delta(kpi("bot_frt_p50_s"), 1.002, 1.0, f), { text: "±0 s", direction: "flat", tone: "neutral" });
  assert.deepEqual(delta(kpi("bot_frt_p50_s"), 0.05, 0.02, f), { text: "+0.03 s", direction: "up", tone: "bad" });
  assert.deepEqual(delta(kpi("deflection"), 0.5, null, f), { text: "—", direction: null, tone: "neutral" });
  assert.deepEqual(delta(kpi("fcr"), null, 0.5, f), { text: "—", direction: null, tone: "neutral" });
});

test("both languages have every report text", () => {
  const keys = (o: object): string[] =>
    Object.entries(o)
      .flatMap(([k, v]) => (v && typeof v === "object" ? keys(v).map((x) => `${k}.${x}`) : [k]))
      .sort();
  assert.deepEqual(keys(consoleStrings("ja").reports), keys(consoleStrings("en").reports));
  for (const k of KPIS) assert.ok(consoleStrings("ja").reports.kpis[k.key], k.key);
});

test("durations on a chart's axis stay short", () => {
  assert.equal(axisDuration(0, en), "0 s");
  assert.equal(axisDuration(0.5, en), "0.5 s");
  assert.equal(axisDuration(0.005, en), "0.005 s");
  assert.equal(axisDuration(12.34, en), "12.3 s");
  assert.equal(axisDuration(40, en), "40 s");
  assert.equal(axisDuration(90, en), "1.5 min");
  assert.equal(axisDuration(80, ja), "1.3 分");
  assert.equal(axisDuration(7200, en), "2 h");
});

test("a window's bounds as shown", () => {
  assert.deepEqual(bounds({ since: "2026-03-01", until: "2026-04-01" }, "en"), ["Mar 1, 2026", "Mar 31, 2026"]);
  assert.deepEqual(bounds({ since: "2026-12-01", until: "2026-12-01T11:02:09" }, "en"), ["Dec 1, 2026 00:00", "11:02"]);
  assert.deepEqual(bounds({ since: "2026-11-19", until: "2026-11-25T11:02:09" }, "en"), ["Nov 19, 2026 00:00", "Nov 25, 2026 11:02"]);
});
