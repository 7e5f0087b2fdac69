// The KPI tiles: each figure as people read it in [data-value], and its
// change against the previous period of equal length with an arrow, coloured
// by whether that direction is good for this metric.

import { h } from "../../shared/dom";
import type { ReportContext } from "./context";
import { ARROWS, KPIS, delta, formatKpi, kpiValue } from "./kpis";
import type { Summary } from "./types";

export class Tiles {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;

  constructor(private readonly c: ReportContext) {
    this.list = h("ul", { class: "kpis" });
    this.element = h("section", { class: "report-block", "aria-labelledby": "report-kpis" }, h("h3", { id: "report-kpis", class: "sr-only" }, c.t.kpiTitle), this.list);
  }

  render(cur: Summary, prev: Summary | null): void {
    const { t, f } = this.c;
    this.list.replaceChildren(
      ...KPIS.map((def) => {
        const now = kpiValue(cur, def.key);
        const before = prev ? kpiValue(prev, def.key) : null;
        const d = delta(def, now, before, f);
        const change = d.direction
          ? h(
              "span",
              { class: `delta ${d.tone}`, "data-delta": d.direction, "data-tone": d.tone },
              h("span", { "aria-hidden": "true" }, `${ARROWS[d.direction]} `),
              d.text,
              h("span", { class: "sr-only" }, t.said([t.change[d.direction] ?? "", t.tone[d.tone] ?? ""].filter(Boolean))),
            )
          : h("span", { class: "delta none" }, d.text);
        const extra = def.key === "csat_mean" ? h("span", { class: "extra" }, t.csatResponses(f.count(cur.csat_responses))) : null;
        return h(
          "li",
          { class: "kpi", "data-kpi": def.key },
          h("span", { class: "kpi-name" }, t.kpis[def.key] ?? def.key),
          h("span", { class: "kpi-value", "data-value": "", "data-raw": now === null ? "" : String(now) }, formatKpi(def, now, f)),
          extra,
          h("span", { class: "kpi-change" }, change, before !== null ? h("span", { class: "before" }, t.previous(formatKpi(def, before, f))) : null),
        );
      }),
    );
  }
}
