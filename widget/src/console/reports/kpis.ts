// The KPI tiles' figures and their change against the previous period
// (pure: unit-tested). Each metric says which way is good: more deflection
// is good, a longer wait is bad, more conversations is neither.

import { DASH, type Formatter, isNum } from "./format";
import type { Num, SeriesMetric, Summary } from "./types";

/** Every figure drawn over time has a tile, and first-contact resolution one more. */
export type KpiKey = SeriesMetric | "fcr";

export type KpiKind = "count" | "rate" | "duration" | "score";

export interface KpiDef {
  key: KpiKey;
  kind: KpiKind;
  /** Which way is an improvement; null when neither is. */
  better: "up" | "down" | null;
}

export const KPIS: readonly KpiDef[] = [
  { key: "conversations", kind: "count", better: null },
  { key: "deflection", kind: "rate", better: "up" },
  { key: "bot_frt_p50_s", kind: "duration", better: "down" },
  { key: "human_frt_p50_s", kind: "duration", better: "down" },
  { key: "wait_p50_s", kind: "duration", better: "down" },
  { key: "answer_rate", kind: "rate", better: "up" },
  { key: "abandonment_rate", kind: "rate", better: "down" },
  { key: "aht_p50_s", kind: "duration", better: "down" },
  { key: "csat_mean", kind: "score", better: "up" },
  { key: "fcr", kind: "rate", better: "up" },
];

export type Direction = "up" | "down" | "flat";
export type Tone = "good" | "bad" | "neutral";

export interface Delta {
  /** "+12%", "−2.1 pt", "+15 s", "+0.2"; a dash when either side is missing. */
  text: string;
  direction: Direction | null;
  tone: Tone;
}

export function kpiValue(s: Summary, key: KpiKey): Num {
  const v = s[key];
  return isNum(v) ? v : null;
}

export function formatKpi(def: KpiDef, v: Num, f: Formatter): string {
  switch (def.kind) {
    case "count":
      return f.count(v);
    case "rate":
      return f.pct(v);
    case "duration":
      return f.duration(v);
    case "score":
      return f.score(v);
  }
}

const sign = (x: number) => (x > 0 ? "+" : "−");

/**
 * The change from `prev` to `cur`: counts relative (or absolute from zero),
 * rates in percentage points, durations in their own unit, CSAT in points of
 * the 1–5 scale. It is flat when it rounds to nothing as shown.
 */
export function delta(def: KpiDef, cur: Num, prev: Num, f: Formatter): Delta {
  if (!isNum(cur) || !isNum(prev)) return { text: DASH, direction: null, tone: "neutral" };
  let shown: number;
  let text: string;
  switch (def.kind) {
    case "count":
      if (prev === 0) {
        shown = cur;
        text = `${sign(cur)}${f.count(Math.abs(cur))}`;
      } else {
        shown = Math.round(((cur - prev) / prev) * 100);
        text = `${sign(shown)}${Math.abs(shown)}%`;
      }
      break;
    case "rate":
      shown = Math.round((cur - prev) * 1000) / 10;
      text = `${sign(shown)}${Math.abs(shown).toFixed(1)} pt`;
      break;
    case "duration": {
      const d = cur - prev;
      const abs = f.duration(Math.abs(d));
      shown = abs === f.duration(0) ? 0 : d;
      text = `${sign(d)}${abs}`;
      break;
    }
    case "score":
      shown = Math.round((cur - prev) * 10) / 10;
      text = `${sign(shown)}${Math.abs(shown).toFixed(1)}`;
      break;
  }
  if (shown === 0) return { text: `±${text.slice(1)}`, direction: "flat", tone: "neutral" };
  const direction: Direction = shown > 0 ? "up" : "down";
  const tone: Tone = def.better === null ? "neutral" : direction === def.better ? "good" : "bad";
  return { text, direction, tone };
}

export const ARROWS: Record<Direction, string> = { up: "▲", down: "▼", flat: "→" };
