// The supervisor's panel: who is waiting and for how long, each agent's
// status and load, and today's figures. The gateway pushes the overview on
// the /agent socket when something changes (`overview`); the panel reads
// GET /api/supervisor/overview once when opened and then only as a slow
// safety net. Between updates the waits tick locally.

import { h } from "../shared/dom";
import { api } from "./api";
import { type ConsoleStrings, errorText } from "./i18n";
import type { Overview } from "./types";

// Pushes carry the changes; this only covers a push lost while reconnecting.
const POLL_MS = 30_000;

export class SupervisorPanel {
  readonly element: HTMLElement;
  private readonly queue: HTMLElement;
  private readonly agents: HTMLElement;
  private readonly today: HTMLElement;
  private readonly error: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private running = false;
  /** When the shown overview was fetched (ms epoch), for the ticking waits. */
  private fetchedAt = 0;

  constructor(private readonly t: ConsoleStrings) {
    this.queue = h("div", { class: "queue" });
    this.agents = h("div", { class: "agents" });
    this.today = h("dl", { class: "figures today" });
    this.error = h("p", { class: "error", role: "alert", hidden: true });
    this.element = h(
      "aside",
      { class: "supervisor", "aria-label": t.supervisor, hidden: true },
      h("h2", {}, t.supervisor),
      this.error,
      h("h3", {}, t.today),
      this.today,
      h("h3", {}, t.queue),
      this.queue,
      h("h3", {}, t.agents),
      this.agents,
    );
    document.addEventListener("visibilitychange", () => {
      if (this.running && !document.hidden) void this.poll();
    });
  }

  start(): void {
    this.element.hidden = false;
    if (this.running) return;
    this.running = true;
    void this.poll();
    this.ticker = setInterval(() => this.tick(), 1_000);
  }

  stop(): void {
    this.element.hidden = true;
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
  }

  /** An overview the gateway pushed; shown at once while the panel is open. */
  push(o: Overview): void {
    if (!this.running) return;
    this.fetchedAt = Date.now();
    this.error.hidden = true;
    this.render(o);
  }

  /** Waits grow between updates without asking the gateway every second. */
  private tick(): void {
    const extra = (Date.now() - this.fetchedAt) / 1000;
    for (const cell of this.queue.querySelectorAll<HTMLElement>("td[data-wait]")) {
      cell.textContent = this.t.seconds(Number(cell.dataset.wait) + extra);
    }
  }

  private async poll(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.running) return;
    if (!document.hidden) {
      const r = await api.overview();
      this.error.hidden = r.ok;
      if (r.ok) {
        this.fetchedAt = Date.now();
        this.render(r);
      }
      else this.error.textContent = this.t.refused + errorText(this.t, r);
    }
    if (this.running) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private render(o: Overview): void {
    const t = this.t;
    const pct = (x: number | null) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
    const secs = (x: number | null) => (x === null || x === undefined ? "—" : t.seconds(x));
    const figures: [string, string, string][] = [
      ["conversations", t.conversations, String(o.today.conversations)],
      ["bot_resolved_share", t.botResolved, pct(o.today.bot_resolved_share)],
      ["bot_frt_p50_s", t.medianBot, secs(o.today.bot_frt_p50_s)],
      ["human_frt_p50_s", t.medianHuman, secs(o.today.human_frt_p50_s)],
      ["abandoned", t.abandoned, String(o.today.abandoned)],
    ];
    this.today.replaceChildren(...figures.flatMap(([key, k, v]) => [h("dt", {}, k), h("dd", { "data-figure": key }, v)]));

    if (o.queue.length === 0) this.queue.replaceChildren(h("p", {}, t.queueEmpty));
    else
      this.queue.replaceChildren(
        table(
          [t.position, t.wait, t.priority, t.locale],
          o.queue.map((q) => ({
            attrs: { "data-conversation": q.conversation_id },
            cells: [String(q.position), { text: t.seconds(q.wait_s), attrs: { "data-wait": String(q.wait_s) } }, String(q.priority), [q.locale, q.team].filter(Boolean).join(" · ") || "—"],
          })),
        ),
      );
    this.agents.replaceChildren(
      table(
        [t.agents, t.status, t.load],
        o.agents.map((a) => ({
          attrs: { "data-agent": a.id },
          cells: [a.name, a.connected ? (a.status === "online" ? t.online : a.status === "away" ? t.away : a.status) : t.offline, `${a.load} / ${a.capacity}`],
        })),
      ),
    );
    this.element.dataset.updated = new Date().toISOString();
  }
}

type Cell = string | { text: string; attrs: Record<string, string> };

function table(head: string[], rows: { attrs: Record<string, string>; cells: Cell[] }[]): HTMLTableElement {
  const td = (c: Cell) => (typeof c === "string" ? h("td", {}, c) : h("td", c.attrs, c.text));
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", r.attrs, ...r.cells.map(td)))),
  );
}
