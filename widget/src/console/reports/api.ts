// The reports HTTP API of docs/metrics.md, through the console's request()
// (cookie session; supervisors and admins, a plain agent gets 403).

import { request } from "../api";
import { type Filters, seriesUrl, summaryUrl, thresholdsUrl } from "./query";
import type { ReportWindow } from "./range";
import type { Interval, Series, SeriesMetric, Summary, Thresholds } from "./types";

export const reportsApi = {
  summary: (w: ReportWindow, tz: string, f: Filters) => request<Summary>("GET", summaryUrl(w, tz, f)),
  series: (metric: SeriesMetric, interval: Interval, w: ReportWindow, tz: string, f: Filters) =>
    request<Series>("GET", seriesUrl(metric, interval, w, tz, f)),
  thresholds: (w: ReportWindow, tz: string, f: Filters) => request<Thresholds>("GET", thresholdsUrl(w, tz, f)),
};
