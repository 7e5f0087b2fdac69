// Figures as people read them (pure: unit-tested): counts with separators,
// shares as percentages, durations in seconds, minutes or hours, CSAT with
// one decimal. Null (an empty set) is a dash, never 0.

import { DASH } from "../admin/format";
import type { ReportWindow } from "./range";
import type { Num } from "./types";

export { DASH };

/** Unit words of one language: en "s", "min", "h"; ja "秒", "分", "時間". */
export interface Units {
  s: string;
  min: string;
  h: string;
}

export interface Formatter {
  count(n: Num): string;
  pct(x: Num): string;
  duration(s: Num): string;
  score(x: Num): string;
}

export const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Seconds as a person says them: "0.02 s" under a second (a bot answers in
 * tens of milliseconds), "2.5 s" under 10 s, "42 s" under a minute,
 * "4 min 5 s" under an hour, "1 h 20 min" beyond.
 */
export function duration(s: Num, u: Units): string {
  if (!isNum(s)) return DASH;
  const neg = s < 0 ? "−" : "";
  const a = Math.abs(s);
  if (a < 0.995) return `${neg}${Number(a.toFixed(2))} ${u.s}`;
  if (a < 9.95) return `${neg}${Number(a.toFixed(1))} ${u.s}`;
  const r = Math.round(a);
  if (r < 60) return `${neg}${r} ${u.s}`;
  if (r < 3600) {
    const sec = r % 60;
    return `${neg}${Math.floor(r / 60)} ${u.min}${sec ? ` ${sec} ${u.s}` : ""}`;
  }
  const mins = Math.round(a / 60);
  const m = mins % 60;
  return `${neg}${Math.floor(mins / 60)} ${u.h}${m ? ` ${m} ${u.min}` : ""}`;
}

/**
 * A duration on a chart's axis, short enough for its margin: "0.005 s", "40 s", then
 * minutes and hours with at most one decimal ("1.5 min", "2 h").
 */
export function axisDuration(s: number, u: Units): string {
  const one = (x: number) => String(Math.round(x * 10) / 10);
  if (Math.abs(s) < 1) return `${Number(s.toFixed(3))} ${u.s}`;
  if (Math.abs(s) < 60) return `${one(s)} ${u.s}`;
  if (Math.abs(s) < 3600) return `${one(s / 60)} ${u.min}`;
  return `${one(s / 3600)} ${u.h}`;
}

/** A share 0..1 with one decimal: 0.8753 → "87.5%". */
export function pct(x: Num): string {
  return isNum(x) ? `${(x * 100).toFixed(1)}%` : DASH;
}

export function score(x: Num): string {
  return isNum(x) ? x.toFixed(1) : DASH;
}

export function count(n: Num, locale: string): string {
  return isNum(n) ? new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n) : DASH;
}

export function formatter(locale: string, units: Units): Formatter {
  return {
    count: (n) => count(n, locale),
    pct,
    duration: (s) => duration(s, units),
    score,
  };
}

/** A confidence threshold as "0.45". */
export function threshold(x: Num): string {
  return isNum(x) ? x.toFixed(2) : DASH;
}

/** "10 May 2026" in the page's language from a "YYYY-MM-DD" (or its date-time). */
export function day(date: string, locale: string): string {
  const [y, m, d] = date.slice(0, 10).split("-").map(Number) as [number, number, number];
  const text = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  return date.length > 10 ? `${text} ${date.slice(11, 16)}` : text;
}

/**
 * A window's first and last day as shown; one cut at a time of day (the
 * previous period of one under way) shows its hours: "Dec 1, 2026 00:00",
 * "11:02" on the same day, else the last day with the time.
 */
export function bounds(w: ReportWindow, locale: string): [string, string] {
  if (w.until.length <= 10) {
    const [y, m, d] = w.until.split("-").map(Number) as [number, number, number];
    const last = new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
    return [day(w.since, locale), day(last, locale)];
  }
  const end = w.until.slice(0, 10) === w.since ? w.until.slice(11, 16) : day(w.until, locale);
  return [`${day(w.since, locale)} 00:00`, end];
}
