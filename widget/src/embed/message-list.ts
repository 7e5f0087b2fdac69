// Keeps the DOM of the message log in step with the client's entries
// without rebuilding it: existing rows are kept (by client_id or id), so the
// ARIA live region announces each message once, and a visitor message that
// gets acked just loses its "sending" look instead of being re-announced.
//
// It also keeps the newest message in view. The log is the flexible part of
// the panel: quick replies, the rating card, the leave-a-message form, the
// typing line or a taller composer take their room from it, so it shrinks
// under a message that was fully visible a moment ago. While the visitor is
// at the bottom ("stuck"), any change of the log's content or size scrolls it
// back to the end; once they scroll up to read history, nothing moves until
// they come back down or send something themselves.

import type { Strings } from "../shared/i18n";
import { authorLabel, renderMessage } from "../shared/render";
import type { Entry } from "../shared/transcript";

/** Within this many px of the end counts as "at the bottom" (sub-pixel layouts, a nudge). */
const STICK_PX = 24;

export class MessageList {
  private readonly rows = new Map<string, HTMLElement>();
  /** The visitor is at the end of the log (not reading history): keep them there. */
  private stuck = true;
  /** Where our last scrollToEnd left the log. */
  private ownTop = -1;
  /** The one "Seen" line, inside the row the agent has read up to. */
  private seen: HTMLElement | null = null;

  constructor(
    readonly element: HTMLElement,
    private t: Strings,
    private locale: string,
    private readonly greeting: string | null,
    /** The signed URL of a file of the conversation (see shared/attachments.ts). */
    private readonly link?: (id: string) => Promise<string | null>,
  ) {
    element.addEventListener("scroll", () => this.onScroll(), { passive: true });
    const follow = () => {
      if (this.stuck) this.scrollToEnd();
    };
    // The log's own box shrinks when something appears below it.
    if (typeof ResizeObserver === "function") new ResizeObserver(follow).observe(element);
    // Rows added, a "sending…" that becomes a time, a text replaced.
    new MutationObserver(follow).observe(element, { childList: true, subtree: true, characterData: true });
  }

  /** Returns true when a row was added. */
  update(entries: readonly Entry[]): boolean {
    const keep = new Set<string>();
    let added = false;
    let cursor: ChildNode | null = this.element.firstChild;
    const place = (el: HTMLElement) => {
      if (el !== cursor) this.element.insertBefore(el, cursor);
      cursor = el.nextSibling;
    };
    if (this.greeting) {
      // The greeting is ours, not the gateway's: shown locally, never stored.
      let g = this.rows.get("greeting");
      if (!g) {
        g = renderMessage(document, { sender: "bot", author: null, text: this.greeting, ts: "" }, this.t, this.locale);
        g.classList.add("greeting");
        this.rows.set("greeting", g);
      }
      keep.add("greeting");
      place(g);
    }
    for (const e of entries) {
      keep.add(e.key);
      let row = this.rows.get(e.key);
      const text = e.kind === "stored" ? e.message.text : e.pending.text;
      if (!row || row.dataset.text !== text) {
        const fresh = this.build(e);
        if (row) row.replaceWith(fresh);
        else added = true;
        row = fresh;
        this.rows.set(e.key, row);
      }
      this.applyState(row, e);
      place(row);
    }
    for (const [key, row] of this.rows) {
      if (!keep.has(key)) {
        row.remove();
        this.rows.delete(key);
      }
    }
    // The visitor just wrote: they want to see it, wherever they had scrolled.
    if (added && entries[entries.length - 1]?.kind === "pending") this.scrollToEnd();
    return added;
  }

  /**
   * The visitor's language changed: rename the authors ("Assistant", "You")
   * and the sending/failed notes of the rows in place. Rows are not rebuilt,
   * so the live region does not read the whole history out again.
   */
  relabel(t: Strings, locale: string, entries: readonly Entry[]): void {
    this.t = t;
    this.locale = locale;
    const greeting = this.rows.get("greeting");
    if (greeting) this.setAuthor(greeting, "bot", t.bot);
    for (const e of entries) {
      const row = this.rows.get(e.key);
      if (!row) continue;
      const m = e.kind === "stored" ? e.message : { sender: "visitor" as const, author: null };
      this.setAuthor(row, m.sender, authorLabel(m, t));
      this.applyState(row, e);
    }
  }

  private setAuthor(row: HTMLElement, sender: string, label: string): void {
    const who = row.querySelector<HTMLElement>(":scope > .msg-author, :scope > .sr-only");
    if (who) who.textContent = sender === "visitor" ? `${label}:` : label;
  }

  /** Puts the "Seen" line under the row `key` (none: removes it). Text only. */
  setSeen(key: string | null, label: string): void {
    const row = key === null ? undefined : this.rows.get(key);
    if (!row) {
      this.seen?.remove();
      return;
    }
    if (!this.seen) {
      this.seen = document.createElement("div");
      this.seen.className = "msg-seen";
    }
    if (this.seen.textContent !== label) this.seen.textContent = label;
    if (this.seen.parentElement !== row) row.append(this.seen);
  }

  /** Shows the end of the log and sticks to it again. */
  scrollToEnd(): void {
    this.stuck = true;
    this.element.scrollTop = this.element.scrollHeight;
    this.ownTop = this.element.scrollTop;
  }

  /**
   * Scroll events arrive a frame late: the one our own scrollToEnd caused may
   * find the log already shrunk by a card that appeared meanwhile, so it must
   * not count as the visitor leaving the bottom (the resize brings us back).
   */
  private onScroll(): void {
    const ours = Math.abs(this.element.scrollTop - this.ownTop) < 1;
    if (!ours) this.ownTop = -1; // the visitor moved: only the real end counts now
    this.stuck = ours || this.atBottom();
  }

  private atBottom(): boolean {
    const el = this.element;
    return el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX;
  }

  private build(e: Entry): HTMLElement {
    const row =
      e.kind === "stored"
        ? renderMessage(document, e.message, this.t, this.locale, this.link)
        : renderMessage(
            document,
            { sender: "visitor", author: null, text: e.pending.text, ts: e.pending.created, attachments: e.pending.attachments },
            this.t,
            this.locale,
            this.link,
          );
    row.dataset.text = e.kind === "stored" ? e.message.text : e.pending.text;
    if (e.kind === "stored") row.dataset.seq = String(e.message.seq);
    return row;
  }

  private applyState(row: HTMLElement, e: Entry): void {
    const pending = e.kind === "pending" && e.failed === undefined;
    const failed = e.kind === "pending" && e.failed !== undefined;
    row.classList.toggle("pending", pending);
    row.classList.toggle("failed", failed);
    if (e.kind === "stored") row.dataset.seq = String(e.message.seq);
    else delete row.dataset.seq;
    const meta = row.querySelector<HTMLElement>(".msg-meta");
    if (!meta) return;
    if (failed) meta.textContent = this.t.errorPrefix + (e.kind === "pending" ? (e.failed ?? "") : "");
    else if (pending) meta.textContent = this.t.sending;
    else if (meta.dataset.state !== "stored" && e.kind === "stored") {
      meta.textContent = new Date(e.message.ts).toLocaleTimeString(this.locale, { hour: "2-digit", minute: "2-digit" });
    }
    meta.dataset.state = e.kind === "stored" ? "stored" : pending ? "pending" : "failed";
  }
}
