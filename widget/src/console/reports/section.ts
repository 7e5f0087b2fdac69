// The Reports page for supervisors and admins, shown in place of the chats
// like the Admin section: range and filters, KPI tiles against the previous
// period, charts over time, the breakdowns, the threshold simulator and the
// CSV of the same conversations. Every change reloads it all at once; only
// the newest load paints.

import { h } from "../../shared/dom";
import { api } from "../api";
import type { ConsoleStrings } from "../i18n";
import { Status, button } from "../admin/ui";
import { reportsApi } from "./api";
import { type ReportContext, reportContext } from "./context";
import { Controls } from "./controls";
import { bounds, day } from "./format";
import { csvUrl } from "./query";
import { browserTimeZone, intervalFor, localNow, previousWindow, rangeWindow } from "./range";
import { Simulator } from "./simulator";
import { Breakdowns } from "./tables";
import { Tiles } from "./tiles";
import { TREND_METRICS, Trends } from "./trends";
import type { Point, SeriesMetric, Summary } from "./types";

export class ReportsSection {
  readonly element: HTMLElement;
  private readonly c: ReportContext;
  private readonly controls: Controls;
  private readonly status = new Status();
  private readonly period = h("p", { class: "meta period" });
  private readonly tiles: Tiles;
  private readonly trends: Trends;
  private readonly breakdowns: Breakdowns;
  private readonly simulator: Simulator;
  private readonly title: HTMLElement;
  private opened = false;
  private seq = 0;
  private agentsLoaded = false;

  constructor(t: ConsoleStrings, locale: string, back: () => void, openInbox: ((intent: string) => void) | null) {
    this.c = reportContext(t, locale);
    const r = this.c.t;
    this.controls = new Controls(this.c, localNow(new Date()).date, () => void this.load());
    this.tiles = new Tiles(this.c);
    this.trends = new Trends(this.c);
    this.breakdowns = new Breakdowns(this.c, openInbox);
    this.simulator = new Simulator(this.c);
    this.title = h("h2", { id: "reports-title", tabindex: "-1" }, r.title);
    const backBtn = button(r.back, "back", { class: "admin-back" });
    backBtn.addEventListener("click", back);
    this.element = h(
      "section",
      { class: "admin reports", "aria-labelledby": "reports-title", "data-state": "idle", hidden: true },
      h("div", { class: "admin-head" }, this.title, backBtn),
      this.controls.element,
      this.status.element,
      this.period,
      this.tiles.element,
      this.trends.element,
      h("div", { class: "report-grid" }, this.breakdowns.intents, this.breakdowns.agents, this.breakdowns.waits),
      this.simulator.element,
    );
  }

  open(): void {
    this.element.hidden = false;
    this.opened = true;
    this.title.focus();
    void this.load();
  }

  close(): void {
    this.element.hidden = true;
    this.opened = false;
    this.seq++;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  private async load(): Promise<void> {
    const { t, locale } = this.c;
    const seq = ++this.seq;
    const state = this.controls.state();
    const now = localNow(new Date());
    const range = rangeWindow(state.kind, now.date, state.custom);
    if (!range.ok) {
      this.status.say(t.problems[range.problem] ?? range.problem, true);
      return;
    }
    const w = range.window;
    const prev = previousWindow(w, now);
    const tz = browserTimeZone();
    const interval = intervalFor(w);
    const f = state.filters;
    this.controls.csv.href = csvUrl(w, tz, f);
    this.period.replaceChildren(
      h("strong", {}, range.days === 1 ? t.oneDay(day(w.since, locale), tz) : t.period(...bounds(w, locale), tz)),
      " ",
      t.comparedWith(...bounds(prev, locale)),
    );
    this.element.dataset.state = "loading";
    this.element.setAttribute("aria-busy", "true");
    this.status.say(t.loading);
    void this.loadAgents();

    const [cur, before, thresholds, ...series] = await Promise.all([
      reportsApi.summary(w, tz, f),
      reportsApi.summary(prev, tz, f),
      reportsApi.thresholds(w, tz, f),
      ...TREND_METRICS.map((m) => reportsApi.series(m, interval, w, tz, f)),
    ]);
    if (seq !== this.seq) return;
    this.element.removeAttribute("aria-busy");
    if (!cur.ok) {
      this.element.dataset.state = "error";
      this.status.say(cur.status === 403 ? t.forbidden : t.refused + cur.message, true);
      return;
    }
    const failed = [before, thresholds, ...series].find((x) => !x.ok);
    this.status.say(failed && !failed.ok ? t.refused + failed.message : "", !!failed);
    this.options(cur);
    this.tiles.render(cur, before.ok ? before : null);
    const points: Partial<Record<SeriesMetric, Point[]>> = {};
    TREND_METRICS.forEach((m, i) => {
      const s = series[i];
      if (s?.ok) points[m] = s.points;
    });
    this.trends.render(points, interval);
    this.breakdowns.render(cur);
    this.simulator.element.hidden = !thresholds.ok;
    if (thresholds.ok) this.simulator.render(thresholds);
    this.element.dataset.state = "ready";
  }

  /** The filters offer what the reports have shown so far. */
  private options(s: Summary): void {
    const t = this.c.t;
    this.controls.setOptions("intent", (s.by_intent ?? []).flatMap((r) => (r.intent ? [[r.intent, r.intent] as [string, string]] : [])));
    this.controls.setOptions("agent", (s.by_agent ?? []).map((a) => [a.agent_id, a.name]));
    this.controls.setOptions("locale", (s.by_locale ?? []).flatMap((l) => (l.locale ? [[l.locale, t.langs[l.locale] ?? l.locale] as [string, string]] : [])));
  }

  /** Every agent and team (GET /api/agents), once. */
  private async loadAgents(): Promise<void> {
    if (this.agentsLoaded) return;
    this.agentsLoaded = true;
    const r = await api.agents();
    if (!r.ok) return;
    this.controls.setOptions("agent", r.agents.map((a) => [a.id, a.name]));
    this.controls.setOptions("team", [...new Set(r.agents.flatMap((a) => a.teams ?? []))].map((x) => [x, x]));
  }
}
