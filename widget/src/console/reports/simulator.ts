// The threshold simulator: from the stored confidences, the share of visitor
// messages that would fall back and of conversations that would escalate at
// each threshold, drawn as two curves with the threshold in force marked, and
// each intent's shares at that threshold.

import { h } from "../../shared/dom";
import { row, table } from "../admin/ui";
import { Chart } from "./chart";
import { COLORS, type ReportContext } from "./context";
import { isNum, threshold } from "./format";
import { atThreshold, orderThresholdIntents } from "./rows";
import type { Thresholds } from "./types";

export class Simulator {
  readonly element: HTMLElement;
  private readonly chart: Chart;
  private readonly line = h("p", { class: "meta", "data-simulator": "current" });
  private readonly intents = h("div", { class: "table-wrap" });

  constructor(private readonly c: ReportContext) {
    const t = c.t;
    this.chart = new Chart("thresholds", t.curve, t.asTable, t.noData);
    this.element = h(
      "section",
      { class: "report-block simulator", "aria-labelledby": "report-simulator" },
      h("h3", { id: "report-simulator" }, t.simulator),
      h("p", { class: "intro" }, t.simulatorIntro),
      this.line,
      this.chart.element,
      this.intents,
    );
  }

  render(r: Thresholds): void {
    const { t, f } = this.c;
    const points = [...(r.points ?? [])].sort((a, b) => a.threshold - b.threshold);
    const current = isNum(r.current) ? r.current : null;
    const here = current === null ? null : atThreshold(points, current);
    this.element.dataset.current = current === null ? "" : String(current);
    this.line.textContent =
      current === null
        ? t.noCurrent(f.count(r.messages))
        : t.atCurrent(threshold(current), f.pct(here?.fallback_share ?? null), f.pct(here?.escalation_share ?? null), f.count(r.messages));
    const fb = t.series.fallback_share ?? "";
    const esc = t.series.escalation_share ?? "";
    this.chart.draw({
      time: false,
      xs: points.map((p) => p.threshold),
      ys: [points.map((p) => p.fallback_share), points.map((p) => p.escalation_share ?? null)],
      xAxis: (x) => threshold(x),
      xLabel: (x) => threshold(x),
      xHead: t.thresholdAxis,
      series: [
        { label: fb, color: COLORS.fallback, scale: "pct", format: f.pct },
        { label: esc, color: COLORS.escalation, scale: "pct", format: f.pct, dash: [6, 3] },
      ],
      scales: [{ key: "pct", format: (v) => `${Math.round(v * 100)}%`, side: "left", range: [0, 1] }],
      ...(current === null ? {} : { marker: { x: current, label: t.current(threshold(current)) } }),
      summary: this.line.textContent,
    });
    const rows = r.by_intent ?? [];
    if (rows.length === 0) return void this.intents.replaceChildren();
    this.intents.replaceChildren(
      table(
        [t.intent, t.messages, t.fallbackAtCurrent],
        orderThresholdIntents(rows).map((i) =>
          row([i.intent ?? t.noIntent, f.count(i.messages), f.pct(i.fallback_share_at_current)], { "data-intent-row": i.intent ?? "" }),
        ),
        { class: "admin-table report-table", "data-table": "thresholds" },
      ),
    );
  }
}
