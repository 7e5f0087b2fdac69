// The breakdowns: intents (those the bot fails most first; for an admin each
// name opens the admin inbox), agents, and the queue wait distribution as
// bars with their counts.

import { h } from "../../shared/dom";
import { row, table } from "../admin/ui";
import type { ReportContext } from "./context";
import { orderAgents, orderIntents, waitBars } from "./rows";
import type { Summary } from "./types";

export class Breakdowns {
  readonly intents: HTMLElement;
  readonly agents: HTMLElement;
  readonly waits: HTMLElement;
  private readonly intentBody = h("div", { class: "table-wrap" });
  private readonly agentBody = h("div", { class: "table-wrap" });
  private readonly waitBody = h("div", { class: "wait-bars" });

  constructor(
    private readonly c: ReportContext,
    /** Admins: open the admin inbox for an intent; null for supervisors. */
    private readonly openInbox: ((intent: string) => void) | null,
  ) {
    const t = c.t;
    const block = (id: string, title: string, body: HTMLElement) =>
      h("section", { class: "report-block", "aria-labelledby": id }, h("h3", { id }, title), body);
    this.intents = block("report-intents", t.byIntent, this.intentBody);
    this.agents = block("report-agents", t.byAgent, this.agentBody);
    this.waits = block("report-waits", t.waitTitle, this.waitBody);
  }

  render(s: Summary): void {
    this.renderIntents(s);
    this.renderAgents(s);
    this.renderWaits(s);
  }

  private renderIntents(s: Summary): void {
    const { t, f } = this.c;
    const rows = orderIntents(s.by_intent ?? []);
    if (rows.length === 0) return void this.intentBody.replaceChildren(h("p", { class: "empty" }, t.empty));
    this.intentBody.replaceChildren(
      table(
        [t.intent, t.volume, t.kpis.deflection ?? "", t.escalated, t.unresolved, t.csat],
        rows.map((r) => {
          const name = r.intent ?? t.noIntent;
          const open = this.openInbox;
          let cell: HTMLElement | string = name;
          if (open && r.intent) {
            const link = h("button", { type: "button", class: "link", "data-action": "inbox", "data-intent": r.intent, title: t.inboxOf(r.intent) }, name);
            link.addEventListener("click", () => open(r.intent!));
            cell = link;
          }
          return row([cell, f.count(r.conversations), f.pct(r.deflection), f.count(r.escalated), f.count(r.unresolved), f.score(r.csat_mean)], {
            "data-intent-row": r.intent ?? "",
          });
        }),
        { class: "admin-table report-table", "data-table": "intents" },
      ),
    );
  }

  private renderAgents(s: Summary): void {
    const { t, f } = this.c;
    const rows = orderAgents(s.by_agent ?? []);
    if (rows.length === 0) return void this.agentBody.replaceChildren(h("p", { class: "empty" }, t.empty));
    this.agentBody.replaceChildren(
      table(
        [t.agent, t.chats, t.humanFrt, t.aht, t.csat, t.utilisation],
        rows.map((r) =>
          row([r.name, f.count(r.chats), f.duration(r.human_frt_p50_s), f.duration(r.aht_p50_s), f.score(r.csat_mean), f.pct(r.utilisation)], { "data-agent-row": r.agent_id }),
        ),
        { class: "admin-table report-table", "data-table": "agents" },
      ),
    );
  }

  private renderWaits(s: Summary): void {
    const { t, f } = this.c;
    const bars = waitBars(s.wait_histogram ?? [], t.units);
    if (bars.every((b) => b.count === 0)) return void this.waitBody.replaceChildren(h("p", { class: "empty" }, t.empty));
    const body = bars.map((b) => {
      const bar = h("span", { class: "bar" });
      // CSSOM, not a style attribute: allowed under the page's CSP either way.
      bar.style.inlineSize = `${(b.ratio * 100).toFixed(1)}%`;
      return h("tr", { "data-bucket": b.label }, h("th", { scope: "row" }, b.label), h("td", { class: "bar-cell", "aria-hidden": "true" }, bar), h("td", {}, f.count(b.count)));
    });
    this.waitBody.replaceChildren(
      h(
        "table",
        { class: "admin-table bars", "data-table": "waits" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t.waitBucket), h("td", { "aria-hidden": "true" }), h("th", { scope: "col" }, t.count))),
        h("tbody", {}, ...body),
      ),
    );
  }
}
