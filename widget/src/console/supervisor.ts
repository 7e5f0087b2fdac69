// The supervisor's panel: today's figures (CSAT among them), the live chats
// (waiting or with an agent: state, wait, agent, intent) each with a Watch
// button that opens it read-only below (whisper, take over, reassign: see
// watch-view.ts), who is waiting and for how long, each agent's status and
// load. The gateway pushes the overview on
// the /agent socket when something changes (`overview`); the panel reads
// GET /api/supervisor/overview once when opened and then only as a slow
// safety net. Between updates the waits tick locally.

import { h } from "../shared/dom";
import type { Ack } from "../shared/protocol";
import { api } from "./api";
import type { Chat } from "./chat";
import { agentStatusText, type ConsoleStrings, errorText } from "./i18n";
import { visitorName } from "./inbox/format";
import type { AgentRow, LiveChat, Overview } from "./types";
import { WatchView } from "./watch-view";

/** What the panel asks of the agent socket (the Desk) to watch and act on live chats. */
export interface Watcher {
  watch(id: string): Promise<Ack<{ chat: Chat }>>;
  unwatch(id: string): void;
  takeover(id: string): Promise<Ack<object>>;
  whisper(chat: Chat, text: string): Promise<Ack<object>>;
  reassign(id: string, agentId: string): Promise<Ack<object>>;
  agents(): Promise<AgentRow[]>;
}

// Pushes carry the changes; this only covers a push lost while reconnecting.
const POLL_MS = 30_000;

export class SupervisorPanel {
  readonly element: HTMLElement;
  private readonly queue: HTMLElement;
  private readonly live: HTMLElement;
  private readonly watchSlot: HTMLElement;
  private watchView: WatchView | null = null;
  private readonly agents: HTMLElement;
  private readonly today: HTMLElement;
  private readonly error: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private running = false;
  /** When the shown overview was fetched (ms epoch), for the ticking waits. */
  private fetchedAt = 0;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    private readonly myId: string,
    private readonly watcher: Watcher,
  ) {
    this.queue = h("div", { class: "queue" });
    this.live = h("div", { class: "live" });
    this.watchSlot = h("div", { class: "watch-slot" });
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
      h("h3", {}, t.live.title),
      this.live,
      this.watchSlot,
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

  /** A watched chat changed (a message, a note, its state): redraw it if it is the one shown. */
  watchedChanged(chat: Chat): void {
    if (this.watchView?.chat.id === chat.id) this.watchView.render();
  }

  private async openWatch(id: string): Promise<void> {
    if (this.watchView?.chat.id === id) return;
    this.closeWatch();
    const ack = await this.watcher.watch(id);
    if (!ack.ok) {
      this.error.hidden = false;
      this.error.textContent = this.t.refused + errorText(this.t, ack);
      return;
    }
    const chat = ack.chat;
    const w = this.watcher;
    this.watchView = new WatchView(chat, this.t, this.locale, this.myId, {
      whisper: (text) => w.whisper(chat, text),
      takeover: () => w.takeover(chat.id),
      reassign: (agentId) => w.reassign(chat.id, agentId),
      agents: () => w.agents(),
      stop: () => this.closeWatch(),
    });
    this.watchSlot.replaceChildren(this.watchView.element);
    this.watchView.render();
  }

  private closeWatch(): void {
    if (!this.watchView) return;
    this.watcher.unwatch(this.watchView.chat.id);
    this.watchView = null;
    this.watchSlot.replaceChildren();
  }

  /** Waits grow between updates without asking the gateway every second. */
  private tick(): void {
    const extra = (Date.now() - this.fetchedAt) / 1000;
    for (const cell of this.element.querySelectorAll<HTMLElement>("td[data-wait][data-ticking]")) {
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
      ["csat_mean", t.live.csatMean, o.today.csat_mean === null || o.today.csat_mean === undefined ? "—" : o.today.csat_mean.toFixed(2)],
      ["csat_count", t.live.csatCount, String(o.today.csat_count ?? 0)],
      ["csat_positive_share", t.live.csatPositive, pct(o.today.csat_positive_share ?? null)],
    ];
    this.today.replaceChildren(...figures.flatMap(([key, k, v]) => [h("dt", {}, k), h("dd", { "data-figure": key }, v)]));

    if (o.queue.length === 0) this.queue.replaceChildren(h("p", {}, t.queueEmpty));
    else
      this.queue.replaceChildren(
        table(
          [t.position, t.wait, t.priority, t.locale, t.visitor],
          o.queue.map((q) => ({
            attrs: { "data-conversation": q.conversation_id },
            cells: [String(q.position), { text: t.seconds(q.wait_s), attrs: { "data-wait": String(q.wait_s), "data-ticking": "" } }, String(q.priority), [q.locale, q.team].filter(Boolean).join(" · ") || "—", q.visitor_name || "—"],
          })),
        ),
      );
    this.renderLive(o.live ?? []);
    this.agents.replaceChildren(
      table(
        [t.agents, t.status, t.load],
        o.agents.map((a) => ({
          attrs: { "data-agent": a.id },
          cells: [a.name, agentStatusText(t, a), `${a.load} / ${a.capacity}`],
        })),
      ),
    );
    this.element.dataset.updated = new Date().toISOString();
  }

  /** The live chats with a Watch button each; a waiting chat's wait keeps ticking. */
  private renderLive(rows: LiveChat[]): void {
    const { t } = this;
    if (rows.length === 0) {
      this.live.replaceChildren(h("p", {}, t.live.none));
      return;
    }
    const body = rows.map((c) => {
      const watch = h("button", { type: "button", class: "watch-btn", "data-action": "watch", "aria-pressed": String(this.watchView?.chat.id === c.id) }, t.live.watch);
      watch.addEventListener("click", () => void this.openWatch(c.id));
      const waitAttrs: Record<string, string> = { "data-wait": String(c.wait_s) };
      if (c.state === "queued") waitAttrs["data-ticking"] = "";
      return h(
        "tr",
        { "data-conversation": c.id, "data-state": c.state },
        h("td", { title: c.first_words }, visitorName(t, c.visitor)),
        h("td", {}, t.states[c.state] ?? c.state),
        h("td", waitAttrs, t.seconds(c.wait_s)),
        h("td", { class: "agent" }, c.agent?.name ?? "—"),
        h("td", { class: "intent" }, c.intents[c.intents.length - 1] ?? "—"),
        h("td", {}, watch),
      );
    });
    this.live.replaceChildren(
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ...[t.live.who, t.live.state, t.wait, t.live.agent, t.live.intent, ""].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, ...body),
      ),
    );
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
