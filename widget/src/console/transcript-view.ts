// One chat's transcript for the agent: the whole conversation (bot part
// included), each visitor message with the bot's intent and confidence,
// internal notes in between (amber, tagged "agents only"), and the agent's
// replies still being sent. Text only: renderText makes text nodes and
// http(s) links, never HTML. Nodes are kept by key so an update appends
// instead of rebuilding, and the view stays pinned to the bottom only if the
// agent was already there (reading back is not interrupted). A visitor
// message the bot should have answered can be flagged for the admins' inbox.

import { h } from "../shared/dom";
import { fileLink, renderFiles } from "../shared/attachments";
import { formatTime, renderText } from "../shared/render";
import { type Entry, keyOf } from "../shared/transcript";
import type { Chat } from "./chat";
import { type ConsoleStrings, errorText } from "./i18n";
import type { AgentMessage, Note } from "./types";
import { flagMessage } from "./admin/api";
import { csrfToken } from "./api";

/** A signed link to a file, for this console (same origin, the session cookie). */
const consoleLink = (id: string) => fileLink("", { csrf: csrfToken() }, id);

/** Below this the bot was guessing: the chip says so with a warmer colour. */
const LOW_CONFIDENCE = 0.5;

type Item = { key: string; sig: string; build: () => HTMLElement };

/** The bot's action on each visitor message: that of the first bot message after
 * it in the same conversation, before the visitor's next message. By entry key. */
function botActions(entries: Entry[]): Map<string, string> {
  const out = new Map<string, string>();
  let waiting: { key: string; conversation: string } | null = null;
  for (const e of entries) {
    if (e.kind !== "stored") continue;
    const m = e.message as AgentMessage;
    if (m.sender === "visitor") waiting = { key: e.key, conversation: m.conversation_id };
    else if (m.sender === "bot" && waiting && waiting.conversation === m.conversation_id) {
      if (m.action) out.set(waiting.key, m.action);
      waiting = null;
    }
  }
  return out;
}

export class TranscriptView {
  readonly element: HTMLElement;
  private readonly nodes = new Map<string, { sig: string; el: HTMLElement }>();
  /** Flagged here, so a rebuilt message node still says so. */
  private readonly flagged = new Set<string>();
  /** The one "Seen" line, under the newest agent message the visitor has seen. */
  private readonly seen: HTMLElement;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    private readonly myId: string,
    label: string,
  ) {
    this.element = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": label, tabindex: "0" });
    this.seen = h("div", { class: "msg-seen" }, t.seenByVisitor);
  }

  update(chat: Chat): void {
    const items = this.items(chat);
    const log = this.element;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const wanted: HTMLElement[] = [];
    const keep = new Set<string>();
    for (const item of items) {
      keep.add(item.key);
      let node = this.nodes.get(item.key);
      if (!node || node.sig !== item.sig) {
        node = { sig: item.sig, el: item.build() };
        this.nodes.set(item.key, node);
      }
      wanted.push(node.el);
    }
    for (const key of [...this.nodes.keys()]) if (!keep.has(key)) this.nodes.delete(key);
    const current = [...log.children];
    const prefix = current.length <= wanted.length && current.every((el, i) => el === wanted[i]);
    if (prefix) log.append(...wanted.slice(current.length));
    else log.replaceChildren(...wanted);
    this.placeSeen(chat);
    if (atBottom || !prefix) log.scrollTop = log.scrollHeight;
  }

  /** "Seen" under the newest agent message at or below the visitor's read mark. */
  private placeSeen(chat: Chat): void {
    let row: HTMLElement | undefined;
    for (const m of chat.messages()) {
      if (m.sender === "agent" && m.seq <= chat.visitorRead) row = this.nodes.get(keyOf(m))?.el;
    }
    if (!row) this.seen.remove();
    else if (this.seen.parentElement !== row) row.append(this.seen);
  }

  scrollToEnd(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }

  /** Stored messages by seq with notes placed by time, then pending replies. */
  private items(chat: Chat): Item[] {
    const notes = [...chat.notes.values()].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    const out: Item[] = [];
    let n = 0;
    const pushNotesUpTo = (ts: number) => {
      while (n < notes.length && Date.parse(notes[n]!.ts) <= ts) {
        const note = notes[n++]!;
        out.push({ key: `n:${note.id}`, sig: note.text, build: () => this.note(note) });
      }
    };
    const entries = chat.entries();
    const actions = botActions(entries);
    for (const e of entries) {
      if (e.kind === "stored") {
        pushNotesUpTo(Date.parse(e.message.ts) - 1);
        const m = e.message as AgentMessage;
        const action = actions.get(e.key) ?? "";
        out.push({ key: e.key, sig: `s|${m.seq}|${m.text}|${m.intent ?? ""}|${action}`, build: () => this.message(m, action) });
      } else {
        pushNotesUpTo(Number.POSITIVE_INFINITY);
        const code = chat.failed.get(e.pending.client_id)?.code;
        out.push({ key: e.key, sig: `p|${e.failed ?? ""}`, build: () => this.pending(e, code) });
      }
    }
    pushNotesUpTo(Number.POSITIVE_INFINITY);
    return out;
  }

  private author(m: AgentMessage): string {
    switch (m.sender) {
      case "visitor":
        return this.t.visitor;
      case "bot":
        return this.t.bot;
      case "agent":
        return m.author?.id === this.myId ? `${m.author?.name ?? ""} (${this.t.you})` : (m.author?.name ?? "");
      default:
        return this.t.system;
    }
  }

  private message(m: AgentMessage, action: string): HTMLElement {
    const meta = h("div", { class: "msg-meta" }, h("time", { datetime: m.ts }, formatTime(m.ts, this.locale)));
    if (m.sender === "visitor" && m.intent) {
      // The stored (calibrated) confidence, rounded down: "100%" only when
      // the bot was certain (a topic the visitor clicked), never for 0.996.
      const pct = Math.floor((m.confidence ?? 0) * 100);
      const low = (m.confidence ?? 0) < LOW_CONFIDENCE;
      const did = action ? this.t.botAction[action] ?? action : "";
      meta.append(
        h(
          "span",
          { class: low ? "intent low" : "intent", "data-intent": m.intent, "data-confidence": String(m.confidence ?? ""), "data-action": action },
          did ? `${this.t.intent(m.intent, pct)} · ${did}` : this.t.intent(m.intent, pct),
        ),
      );
    }
    if (m.sender === "visitor" && m.id) meta.append(this.flagButton(m.id));
    const bubble = h("div", { class: "msg-bubble" });
    // A Rasa assistant's image and custom payload: the agent reads what the
    // visitor was sent as text (the image's link, the payload's JSON).
    const said = [m.text, m.image ?? "", m.custom ? JSON.stringify(m.custom) : ""].filter(Boolean).join("\n");
    bubble.append(renderText(document, said));
    return h(
      "div",
      { class: `msg msg-${m.sender}`, "data-sender": m.sender, "data-seq": String(m.seq) },
      // A system line (a transfer, a hand-back) is one centred line: its
      // "System" label is for screen readers only.
      h("div", { class: m.sender === "system" ? "sr-only" : "msg-author" }, this.author(m)),
      said || !m.attachments?.length ? bubble : null,
      m.attachments?.length ? renderFiles(document, m.attachments, consoleLink, this.locale) : null,
      meta,
    );
  }

  private flagButton(id: string): HTMLElement {
    const t = this.t;
    const done = () => this.flagged.has(id);
    const b = h(
      "button",
      { type: "button", class: "flag", "data-action": "flag", "data-flagged": String(done()), "aria-pressed": String(done()), title: t.flagTitle },
      done() ? t.flagged : t.flag,
    );
    // Not disabled once flagged: a disabled button would drop the keyboard focus.
    let sending = false;
    b.addEventListener("click", () => {
      if (sending || done()) return;
      sending = true;
      void flagMessage(id).then((r) => {
        sending = false;
        if (r.ok) this.flagged.add(id);
        b.textContent = r.ok ? t.flagged : t.refused + errorText(t, r);
        b.dataset.flagged = r.ok ? "true" : "error";
        b.setAttribute("aria-pressed", String(r.ok));
      });
    });
    return b;
  }

  private pending(e: Extract<Entry, { kind: "pending" }>, code: string | undefined): HTMLElement {
    const bubble = h("div", { class: "msg-bubble" });
    bubble.append(renderText(document, e.pending.text));
    const files = e.pending.attachments?.length ? renderFiles(document, e.pending.attachments, consoleLink, this.locale) : null;
    const status = e.failed !== undefined ? this.t.notSent + errorText(this.t, { error: code, message: e.failed }) : this.t.sending;
    return h(
      "div",
      { class: `msg msg-agent pending${e.failed !== undefined ? " failed" : ""}`, "data-sender": "agent" },
      bubble,
      files,
      h("div", { class: "msg-meta" }, status),
    );
  }

  private note(note: Note): HTMLElement {
    const bubble = h("div", { class: "msg-bubble" });
    bubble.append(renderText(document, note.text));
    return h(
      "div",
      { class: "note", "data-note": String(note.id), role: "note" },
      h("div", { class: "note-tag" }, `${this.t.noteTag} · ${note.author?.name ?? ""}`),
      bubble,
      h("div", { class: "msg-meta" }, formatTime(note.ts, this.locale)),
    );
  }
}
