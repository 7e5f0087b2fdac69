// The report's window in whole local days (pure: unit-tested). Dates are
// "YYYY-MM-DD" in the browser's time zone, which is also the `tz` sent, so
// the gateway counts the same days the picker shows. `until` is excluded.

export type RangeKind = "today" | "7d" | "30d" | "custom";
export const RANGES: readonly RangeKind[] = ["today", "7d", "30d", "custom"];

/** The gateway refuses longer windows (live_chat/reports/window.py). */
export const MAX_DAYS = 400;

export interface ReportWindow {
  /** First day, included. */
  since: string;
  /** A date (midnight, excluded) or a local date-time "YYYY-MM-DDTHH:MM:SS". */
  until: string;
}

/** Today and the time of day, both in the browser's time zone. */
export interface LocalNow {
  date: string;
  time: string;
}

export type RangeProblem = "missing" | "order" | "tooLong";
export type RangeResult = { ok: true; window: ReportWindow; days: number } | { ok: false; problem: RangeProblem };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function utcDay(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

function fromUtcDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Calendar arithmetic on a "YYYY-MM-DD" (no clock, so no daylight-saving drift). */
export function addDays(date: string, n: number): string {
  return fromUtcDay(utcDay(date) + n * DAY_MS);
}

/** Whole days from `a` to `b`. */
export function daysBetween(a: string, b: string): number {
  return Math.round((utcDay(b) - utcDay(a)) / DAY_MS);
}

export function isDate(s: string): boolean {
  return DATE.test(s) && addDays(s, 0) === s;
}

/** The wall clock of `d` in the browser's time zone. */
export function localNow(d: Date): LocalNow {
  return {
    date: `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  };
}

/**
 * The window a range covers: today; the last 7 or 30 days including today;
 * or the custom days `from`…`to`, both included.
 */
export function rangeWindow(kind: RangeKind, today: string, custom?: { from: string; to: string }): RangeResult {
  const span = (since: string, last: string): RangeResult => {
    const days = daysBetween(since, last) + 1;
    if (days < 1) return { ok: false, problem: "order" };
    if (days > MAX_DAYS) return { ok: false, problem: "tooLong" };
    return { ok: true, window: { since, until: addDays(last, 1) }, days };
  };
  switch (kind) {
    case "today":
      return span(today, today);
    case "7d":
      return span(addDays(today, -6), today);
    case "30d":
      return span(addDays(today, -29), today);
    case "custom":
      if (!custom || !isDate(custom.from) || !isDate(custom.to)) return { ok: false, problem: "missing" };
      return span(custom.from, custom.to);
  }
}

/** How many whole days a window of dates spans. */
export function windowDays(w: ReportWindow): number {
  return daysBetween(w.since, w.until.slice(0, 10));
}

/**
 * The period of equal length just before `w`, for the change shown on each
 * tile. While `w` is still under way (it holds today) only the part that has
 * happened is compared: today until now against yesterday until the same time,
 * not a morning against a whole day.
 */
export function previousWindow(w: ReportWindow, now: LocalNow): ReportWindow {
  const days = windowDays(w);
  const since = addDays(w.since, -days);
  const underWay = w.since <= now.date && now.date < w.until.slice(0, 10);
  if (!underWay) return { since, until: w.since };
  return { since, until: `${addDays(now.date, -days)}T${now.time}` };
}

/** Hours for a one-day window, days otherwise. */
export function intervalFor(w: ReportWindow): "hour" | "day" {
  return windowDays(w) <= 1 ? "hour" : "day";
}

/** The browser's IANA time zone ("UTC" when it will not say). */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
