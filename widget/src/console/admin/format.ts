// Number and time formatting shared by the admin pages (pure: unit-tested).

import type { PerLocale, Problem } from "./types";

export const DASH = "—";

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** A share 0..1 as a percentage with one decimal: 0.8753 → "87.5%". */
export function pct1(x: number | null | undefined): string {
  return isNum(x) ? `${(x * 100).toFixed(1)}%` : DASH;
}

/** A confidence 0..1 as a whole percentage. */
export function pct0(x: number | null | undefined): string {
  return isNum(x) ? `${Math.round(x * 100)}%` : DASH;
}

/** A signed figure with a real minus sign; "±0" when it rounds to nothing. */
export function signed(x: number | null | undefined, digits: number, unit = ""): string {
  if (!isNum(x)) return DASH;
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return `±${s}${unit}`;
  return `${x > 0 ? "+" : "−"}${s}${unit}`;
}

/** The change between two shares in percentage points, one decimal. */
export function points(candidate: number | null | undefined, active: number | null | undefined): { text: string; value: number | null } {
  if (!isNum(candidate) || !isNum(active)) return { text: DASH, value: null };
  const value = Math.round((candidate - active) * 1000) / 10;
  return { text: signed(value, 1, " pt"), value };
}

export function f1(x: number | null | undefined): string {
  return isNum(x) ? x.toFixed(2) : DASH;
}

export function when(iso: string | null | undefined, locale: string): string {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleString(locale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A moment to the second (the delivery log, where attempts are seconds apart). */
export function whenSeconds(iso: string | null | undefined, locale: string): string {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleString(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** "ja 3 · en 1", languages with none left out. */
export function localeCounts(locales: Partial<PerLocale<number>> | Record<string, number>): string {
  const parts = Object.entries(locales)
    .filter(([, n]) => isNum(n) && n > 0)
    .map(([l, n]) => `${l} ${n}`);
  return parts.length ? parts.join(" · ") : DASH;
}

/** file:line: message — how an editor wants to be pointed at a problem. */
export function problemText(p: Problem): string {
  const where = p.line === null || p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return where ? `${where}: ${p.message}` : p.message;
}

/** Audit before/after as readable JSON. */
export function json(x: unknown): string {
  if (x === null || x === undefined) return DASH;
  try {
    return JSON.stringify(x, null, 2);
  } catch {
    return String(x);
  }
}
