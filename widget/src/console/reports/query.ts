// The reports API's URLs (pure: unit-tested). Every route takes the same
// window and filters, so the page, the CSV link and the charts always ask
// about the same conversations.

import type { ReportWindow } from "./range";
import type { Interval, SeriesMetric } from "./types";

export interface Filters {
  team: string;
  agent: string;
  intent: string;
  locale: string;
}

export const NO_FILTERS: Filters = { team: "", agent: "", intent: "", locale: "" };

type Param = string | number | null | undefined;

/** "?a=1&b=2" without the empty parameters, in the order given; "" when none is left. */
export function queryString(params: [string, Param][]): string {
  const q = new URLSearchParams();
  for (const [k, v] of params) if (v !== undefined && v !== null && v !== "") q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

function reportQuery(w: ReportWindow, tz: string, f: Filters, extra: [string, Param][] = []): string {
  return queryString([
    ["since", w.since],
    ["until", w.until],
    ["tz", tz],
    ["team", f.team],
    ["agent", f.agent],
    ["intent", f.intent],
    ["locale", f.locale],
    ...extra,
  ]);
}

export const summaryUrl = (w: ReportWindow, tz: string, f: Filters) => `/api/reports/summary${reportQuery(w, tz, f)}`;

export const seriesUrl = (metric: SeriesMetric, interval: Interval, w: ReportWindow, tz: string, f: Filters) =>
  `/api/reports/timeseries${reportQuery(w, tz, f, [["metric", metric], ["interval", interval]])}`;

export const thresholdsUrl = (w: ReportWindow, tz: string, f: Filters) => `/api/reports/thresholds${reportQuery(w, tz, f)}`;

export const csvUrl = (w: ReportWindow, tz: string, f: Filters) => `/api/reports/conversations.csv${reportQuery(w, tz, f)}`;
