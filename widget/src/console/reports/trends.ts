// The charts over time: conversations (bars) with deflection (line); first
// response of the bot and of agents as two lines, never one blended figure;
// the median queue wait.

import { h } from "../../shared/dom";
import { Chart, type ChartData } from "./chart";
import { COLORS, type ReportContext } from "./context";
import { axisDuration } from "./format";
import { alignSeries, extent } from "./rows";
import type { Interval, Num, Point, SeriesMetric } from "./types";

/** Ticks of a duration axis fall on round seconds, minutes and hours. */
const DURATION_STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];

export const TREND_METRICS: readonly SeriesMetric[] = ["conversations", "deflection", "bot_frt_p50_s", "human_frt_p50_s", "wait_p50_s"];

export class Trends {
  readonly element: HTMLElement;
  private readonly conversations: Chart;
  private readonly frt: Chart;
  private readonly wait: Chart;

  constructor(private readonly c: ReportContext) {
    const t = c.t;
    this.conversations = new Chart("conversations", t.chartConversations, t.asTable, t.noData);
    this.frt = new Chart("frt", t.chartFrt, t.asTable, t.noData);
    this.wait = new Chart("wait", t.chartWait, t.asTable, t.noData);
    this.element = h(
      "section",
      { class: "report-block", "aria-labelledby": "report-trends" },
      h("h3", { id: "report-trends" }, t.trends),
      h("div", { class: "charts" }, this.conversations.element, this.frt.element, this.wait.element),
    );
  }

  render(series: Partial<Record<SeriesMetric, Point[]>>, interval: Interval): void {
    const { t, f } = this.c;
    const axis = timeFormat(this.c.locale, interval, true);
    const label = timeFormat(this.c.locale, interval, false);
    const base = { time: true, xAxis: axis, xLabel: label, xHead: t.when };
    const pctScale = { key: "pct", format: (v: number) => `${Math.round(v * 100)}%`, side: "right" as const, range: [0, 1] as [number, number] };
    const secScale = { key: "s", format: (v: number) => axisDuration(v, t.units), side: "left" as const, incrs: DURATION_STEPS };
    const line = (key: SeriesMetric, color: string, scale: string, format: (v: Num) => string, dash?: number[]) => ({
      label: t.series[key] ?? key,
      color,
      scale,
      format,
      ...(dash ? { dash } : {}),
    });

    const conv = alignSeries([series.conversations ?? [], series.deflection ?? []]);
    const total = extent(conv.ys[0] ?? [])?.sum ?? 0;
    this.conversations.draw({
      ...base,
      ...conv,
      series: [{ ...line("conversations", COLORS.conversations, "n", f.count), bars: true }, line("deflection", COLORS.deflection, "pct", f.pct, [6, 3])],
      scales: [{ key: "n", format: (v) => f.count(v), side: "left" }, pctScale],
      summary: [t.total(t.series.conversations ?? "", f.count(total)), range(t.series.deflection ?? "", conv.ys[1], f.pct, t.seriesSummary)].filter(Boolean).join(". "),
    } satisfies ChartData);

    const frt = alignSeries([series.bot_frt_p50_s ?? [], series.human_frt_p50_s ?? []]);
    this.frt.draw({
      ...base,
      ...frt,
      series: [line("bot_frt_p50_s", COLORS.bot, "s", f.duration), line("human_frt_p50_s", COLORS.human, "s", f.duration, [6, 3])],
      scales: [secScale],
      summary: [range(t.series.bot_frt_p50_s ?? "", frt.ys[0], f.duration, t.seriesSummary), range(t.series.human_frt_p50_s ?? "", frt.ys[1], f.duration, t.seriesSummary)]
        .filter(Boolean)
        .join(". "),
    });

    const wait = alignSeries([series.wait_p50_s ?? []]);
    this.wait.draw({
      ...base,
      ...wait,
      series: [line("wait_p50_s", COLORS.wait, "s", f.duration)],
      scales: [secScale],
      summary: range(t.series.wait_p50_s ?? "", wait.ys[0], f.duration, t.seriesSummary),
    });
  }
}

function range(name: string, values: Num[] | undefined, fmt: (v: Num) => string, say: (n: string, a: string, b: string) => string): string {
  const e = extent(values ?? []);
  return e ? say(name, fmt(e.min), fmt(e.max)) : "";
}

/** Bucket starts in the page's language: "14:00" or "5/10" on the axis, in full in the table. */
function timeFormat(locale: string, interval: Interval, short: boolean): (x: number) => string {
  const opts: Intl.DateTimeFormatOptions =
    interval === "hour"
      ? short
        ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
        : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : short
        ? { month: "numeric", day: "numeric" }
        : { year: "numeric", month: "short", day: "numeric", weekday: "short" };
  const fmt = new Intl.DateTimeFormat(locale, opts);
  return (x) => fmt.format(new Date(x * 1000));
}
