// The tables' and charts' rows (pure: unit-tested): intents that fail most
// first, agents by chats, the wait histogram's buckets and their labels,
// the simulator's figures at the current threshold, and time series lined
// up on one x axis.

import { type Units, duration, isNum } from "./format";
import type { AgentReportRow, IntentRow, Num, Point, ThresholdIntent, ThresholdPoint, WaitBucket } from "./types";

/** Conversations of an intent that the bot did not settle: escalated or unresolved. */
export const failures = (r: IntentRow) => r.escalated + r.unresolved;

/** Most failures first; then the larger failing share, the larger volume, the name. */
export function orderIntents(rows: readonly IntentRow[]): IntentRow[] {
  const share = (r: IntentRow) => (r.conversations > 0 ? failures(r) / r.conversations : 0);
  return [...rows].sort(
    (a, b) =>
      failures(b) - failures(a) ||
      share(b) - share(a) ||
      b.conversations - a.conversations ||
      (a.intent ?? "\uffff").localeCompare(b.intent ?? "\uffff"),
  );
}

/** Busiest agents first, then by name. */
export function orderAgents(rows: readonly AgentReportRow[]): AgentReportRow[] {
  return [...rows].sort((a, b) => b.chats - a.chats || a.name.localeCompare(b.name));
}

export interface Bar {
  label: string;
  count: number;
  /** 0..1 of the largest bucket, for the bar's length. */
  ratio: number;
}

/** "0–10 s", "10–30 s", …, "> 10 min": each bucket from the previous bound to its own. */
export function waitBars(buckets: readonly WaitBucket[], u: Units): Bar[] {
  const sorted = [...buckets].sort((a, b) => (a.le_s ?? Infinity) - (b.le_s ?? Infinity));
  const max = Math.max(0, ...sorted.map((b) => b.count));
  let lower = 0;
  let lastBound: Num = null;
  return sorted.map((b) => {
    let label: string;
    if (isNum(b.le_s)) {
      label = `${lower === 0 ? "0" : short(lower, u)}–${short(b.le_s, u)}`;
      lower = b.le_s;
      lastBound = b.le_s;
    } else label = `> ${isNum(lastBound) ? short(lastBound, u) : "0"}`;
    return { label, count: b.count, ratio: max > 0 ? b.count / max : 0 };
  });
}

/** A bucket bound: whole minutes as minutes ("2 min"), otherwise seconds. */
function short(s: number, u: Units): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60} ${u.min}` : duration(s, u);
}

/** The simulated point at (or nearest to) the threshold in force. */
export function atThreshold(points: readonly ThresholdPoint[], current: number): ThresholdPoint | null {
  let best: ThresholdPoint | null = null;
  for (const p of points) if (!best || Math.abs(p.threshold - current) < Math.abs(best.threshold - current)) best = p;
  return best;
}

/** The simulator's intents: those falling back most at the threshold in force first, then by messages. */
export function orderThresholdIntents(rows: readonly ThresholdIntent[]): ThresholdIntent[] {
  return [...rows].sort(
    (a, b) =>
      (b.fallback_share_at_current ?? -1) - (a.fallback_share_at_current ?? -1) ||
      b.messages - a.messages ||
      (a.intent ?? "\uffff").localeCompare(b.intent ?? "\uffff"),
  );
}

export interface Columns {
  /** Bucket starts, seconds since the epoch (uPlot's time axis). */
  xs: number[];
  /** The ISO bucket starts, as the gateway sent them (for the text tables). */
  ts: string[];
  /** One row of values per series, null where a series has no value. */
  ys: Num[][];
}

/** Lines up several series (the same window, maybe not the same buckets) on their bucket starts. */
export function alignSeries(series: readonly (readonly Point[])[]): Columns {
  const byT = new Map<number, string>();
  for (const points of series) for (const p of points) {
    const x = Date.parse(p.t) / 1000;
    if (Number.isFinite(x) && !byT.has(x)) byT.set(x, p.t);
  }
  const xs = [...byT.keys()].sort((a, b) => a - b);
  const ys = series.map((points) => {
    const values = new Map(points.map((p) => [Date.parse(p.t) / 1000, isNum(p.value) ? p.value : null]));
    return xs.map((x) => values.get(x) ?? null);
  });
  return { xs, ts: xs.map((x) => byT.get(x)!), ys };
}

/** Lowest, highest and total of a series' values (nulls left out). */
export function extent(values: readonly Num[]): { min: number; max: number; sum: number; n: number } | null {
  const v = values.filter(isNum);
  if (v.length === 0) return null;
  return { min: Math.min(...v), max: Math.max(...v), sum: v.reduce((a, b) => a + b, 0), n: v.length };
}
