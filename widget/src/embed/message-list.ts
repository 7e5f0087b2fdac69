// Keeps the DOM of the message log in step with the client's entries
// without rebuilding it: existing rows are kept (by client_id or id), so the
// ARIA live region announces each message once, and a visitor message that
// gets acked just loses its "sending" look instead of being re-announced.

import type { Strings } from "../shared/i18n";
import { renderMessage } from "../shared/render";
import type { Entry } from "../shared/transcript";

export class MessageList {
  private readonly rows = new Map<string, HTMLElement>();

  constructor(
    readonly element: HTMLElement,
    private readonly t: Strings,
    private readonly locale: string,
    private readonly greeting: string | null,
  ) {}

  /** Returns true when a row was added. */
  update(entries: readonly Entry[]): boolean {
    const wasAtBottom = this.atBottom();
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
    if (added && (wasAtBottom || entries[entries.length - 1]?.kind === "pending")) this.scrollToEnd();
    return added;
  }

  scrollToEnd(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }

  private atBottom(): boolean {
    const el = this.element;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  }

  private build(e: Entry): HTMLElement {
    const row =
      e.kind === "stored"
        ? renderMessage(document, e.message, this.t, this.locale)
        : renderMessage(document, { sender: "visitor", author: null, text: e.pending.text, ts: e.pending.created }, this.t, this.locale);
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
