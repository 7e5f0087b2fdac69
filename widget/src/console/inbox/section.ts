// The Inbox page: every conversation an agent may read (open, waiting,
// closed), searched by text, state, visitor, intent, agent, dates and tag,
// newest first, a page at a time ("More" follows the gateway's cursor). A
// result opens read-only in the reader beside the list. Shown in place of the
// chats, like the Reports page; the chats keep running underneath.

import { h } from "../../shared/dom";
import { api } from "../api";
import { type ConsoleStrings, errorText } from "../i18n";
import type { AgentRow, ConversationSummary, InboxQuery } from "../types";
import { visitorName, when } from "./format";
import { ConversationReader } from "./reader";

const PAGE = 25;
const STATES = ["bot", "queued", "assigned", "closed", "abandoned"];

export class InboxSection {
  readonly element: HTMLElement;
  readonly reader: ConversationReader;
  private readonly form: HTMLFormElement;
  private readonly results: HTMLElement;
  private readonly count: HTMLElement;
  private readonly moreBtn: HTMLButtonElement;
  private readonly agentSelect: HTMLSelectElement;
  private readonly title: HTMLElement;
  private readonly rows = new Map<string, { summary: ConversationSummary; el: HTMLElement }>();
  private query: InboxQuery = {};
  private cursor: string | null = null;
  private seq = 0;
  private opened = false;
  private agentsLoaded = false;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    myId: string,
    back: () => void,
    private readonly agents: () => Promise<AgentRow[]>,
  ) {
    const x = t.inbox;
    const field = (label: string, control: HTMLElement) => h("label", { class: "field" }, label, control);
    const input = (name: string, type = "text", extra: Record<string, string> = {}) => h("input", { name, type, ...extra });
    this.agentSelect = h("select", { name: "agent" }, h("option", { value: "" }, x.anyAgent));
    const state = h("select", { name: "state" }, h("option", { value: "" }, x.anyState), ...STATES.map((s) => h("option", { value: s }, t.states[s] ?? s)));
    const reset = h("button", { type: "reset" }, x.reset);
    this.form = h(
      "form",
      { class: "inbox-filters row", role: "search" },
      field(x.search, input("q", "search", { maxlength: "200" })),
      field(x.state, state),
      field(x.visitor, input("visitor", "text", { maxlength: "200" })),
      field(x.intent, input("intent", "text", { maxlength: "64" })),
      field(x.agent, this.agentSelect),
      field(x.from, input("from", "date")),
      field(x.to, input("to", "date")),
      field(x.tag, input("tag", "text", { maxlength: "32" })),
      h("button", { type: "submit", class: "primary" }, x.find),
      reset,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.search();
    });
    this.form.addEventListener("reset", () => setTimeout(() => void this.search(), 0));
    this.count = h("p", { class: "meta inbox-count", role: "status", "aria-live": "polite" });
    this.results = h("ul", { class: "inbox-results", "aria-label": x.results });
    this.moreBtn = h("button", { type: "button", class: "more", hidden: true }, x.more);
    this.moreBtn.addEventListener("click", () => void this.load(false));
    this.reader = new ConversationReader(t, locale, myId, (id, tags) => this.retag(id, tags));
    this.title = h("h2", { id: "inbox-title", tabindex: "-1" }, x.title);
    const backBtn = h("button", { type: "button", class: "admin-back", "data-action": "back" }, x.back);
    backBtn.addEventListener("click", back);
    this.element = h(
      "section",
      { class: "admin inbox", "aria-labelledby": "inbox-title", hidden: true },
      h("div", { class: "admin-head" }, this.title, backBtn),
      this.form,
      h("div", { class: "inbox-grid" }, h("div", { class: "inbox-list" }, this.count, this.results, this.moreBtn), this.reader.element),
    );
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Shows the page; searches with the current filters the first time. */
  open(focusTitle = true): void {
    const first = !this.opened && this.rows.size === 0;
    this.element.hidden = false;
    this.opened = true;
    if (focusTitle) this.title.focus();
    if (!this.agentsLoaded) void this.loadAgents();
    if (first) void this.search();
  }

  close(): void {
    this.element.hidden = true;
    this.opened = false;
  }

  private async loadAgents(): Promise<void> {
    const list = await this.agents();
    this.agentsLoaded = list.length > 0;
    const keep = this.agentSelect.value;
    this.agentSelect.replaceChildren(h("option", { value: "" }, this.t.inbox.anyAgent), ...list.map((a) => h("option", { value: a.id }, a.name)));
    this.agentSelect.value = keep;
  }

  private async search(): Promise<void> {
    const data = new FormData(this.form);
    const query: InboxQuery = {};
    for (const key of ["q", "state", "visitor", "intent", "agent", "tag"] as const) {
      const v = String(data.get(key) ?? "").trim();
      if (v) query[key] = v;
    }
    // Dates are the agent's days: sent as the instants their local days start and end.
    const from = String(data.get("from") ?? "");
    const to = String(data.get("to") ?? "");
    if (from) query.from = new Date(`${from}T00:00:00`).toISOString();
    if (to) {
      const end = new Date(`${to}T00:00:00`);
      end.setDate(end.getDate() + 1);
      query.to = end.toISOString();
    }
    this.query = query;
    await this.load(true);
  }

  private async load(fresh: boolean): Promise<void> {
    const mine = ++this.seq;
    if (fresh) this.cursor = null;
    this.element.dataset.state = "loading";
    const r = await api.conversations({ ...this.query, ...(this.cursor ? { cursor: this.cursor } : {}) }, PAGE);
    if (mine !== this.seq) return;
    this.element.dataset.state = "idle";
    if (!r.ok) {
      this.count.textContent = this.t.refused + errorText(this.t, r);
      return;
    }
    if (fresh) {
      this.rows.clear();
      this.results.replaceChildren();
    }
    for (const c of r.conversations) {
      if (this.rows.has(c.id)) continue;
      const el = this.row(c);
      this.rows.set(c.id, { summary: c, el });
      this.results.append(el);
    }
    this.cursor = r.next_cursor;
    this.moreBtn.hidden = !r.next_cursor;
    this.count.textContent = this.rows.size === 0 ? this.t.inbox.none : this.t.inbox.found(this.rows.size, !!r.next_cursor);
  }

  private row(c: ConversationSummary): HTMLElement {
    const { t, locale } = this;
    const open = h(
      "button",
      { type: "button", class: "inbox-row", "data-conversation": c.id, "data-state": c.state },
      h("span", { class: "who" }, visitorName(t, c.visitor)),
      h("span", { class: "state" }, t.states[c.state] ?? c.state),
      h("span", { class: "agent" }, c.agent?.name ?? ""),
      h("span", { class: "when", title: t.inbox.lastMessage }, when(c.last_message_at ?? c.created_at, locale)),
      h("span", { class: "first" }, c.first_words),
      h(
        "span",
        { class: "chips" },
        // Offline messages are the whole team's (any agent may read and answer them by e-mail): marked so they are found.
        c.resolution === "offline_message" ? h("span", { class: "offline", "data-resolution": "offline_message" }, t.inbox.offline) : null,
        ...c.intents.map((i) => h("span", { class: "intent" }, i)), ...c.tags.map((tag) => h("span", { class: "tag", "data-tag": tag }, `#${tag}`)),
      ),
    );
    open.addEventListener("click", () => {
      for (const { el } of this.rows.values()) el.querySelector(".inbox-row")?.removeAttribute("aria-current");
      open.setAttribute("aria-current", "true");
      void this.reader.show(c.id);
    });
    return h("li", {}, open);
  }

  /** Reads one conversation in the reader (a link named it), marking its row when it is listed. */
  read(id: string): void {
    for (const [cid, { el }] of this.rows) {
      const button = el.querySelector(".inbox-row");
      if (cid === id) button?.setAttribute("aria-current", "true");
      else button?.removeAttribute("aria-current");
    }
    void this.reader.show(id);
  }

    /** A tag changed in the reader: the list shows it too. */
  private retag(id: string, tags: string[]): void {
    const row = this.rows.get(id);
    if (!row) return;
    const summary = { ...row.summary, tags };
    const el = this.row(summary);
    row.el.replaceWith(el);
    this.rows.set(id, { summary, el });
  }
}
