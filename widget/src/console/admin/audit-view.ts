// The Audit tab: who changed what and when, newest first, 100 at a time
// ("older" pages with `before`), filtered by action; each row opens to the
// before/after JSON as plain text.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { DASH, json, when } from "./format";
import type { AuditEntry } from "./types";
import { Status, busy, button, field } from "./ui";

/** docs/admin.md's audit actions. */
export const AUDIT_ACTIONS = [
  "intent.create",
  "intent.update",
  "intent.delete",
  "example.add",
  "example.delete",
  "inbox.ignore",
  "import",
  "model.train",
  "model.activate",
  "model.rollback",
  "webhook.create",
  "webhook.update",
  "webhook.delete",
  "webhook.replay",
  "api_key.create",
  "api_key.revoke",
];
const PAGE = 100;

export class AuditPanel {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly action: HTMLSelectElement;
  private readonly target: HTMLInputElement;
  private readonly older: HTMLButtonElement;
  private readonly status = new Status();
  private last: AuditEntry["id"] | null = null;
  private seq = 0;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
  ) {
    const a = t.admin;
    this.action = h("select", { name: "action" }, h("option", { value: "" }, a.allActions), ...AUDIT_ACTIONS.map((x) => h("option", { value: x }, x)));
    this.target = h("input", { name: "target", type: "search", autocomplete: "off", spellcheck: "false" });
    const filter = h("form", { class: "row toolbar" }, field(a.action, this.action), field(a.target, this.target), h("button", { type: "submit", "data-action": "filter" }, a.filter));
    filter.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.load(false);
    });
    this.action.addEventListener("change", () => void this.load(false));
    this.body = h("tbody", {});
    this.older = button(a.older, "older", { hidden: true });
    this.older.addEventListener("click", () => void busy(this.older, () => this.load(true)));
    const head = [a.time, a.who, a.action, a.target, a.reasonCol, a.details];
    this.element = h(
      "div",
      { class: "admin-audit" },
      filter,
      this.status.element,
      h("table", { class: "admin-table audit-table" }, h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))), this.body),
      this.older,
    );
  }

  show(): void {
    void this.load(false);
  }

  hide(): void {
    this.seq++;
  }

  private async load(more: boolean): Promise<void> {
    const seq = ++this.seq;
    const r = await adminApi.audit(this.action.value, more ? this.last : null, this.target.value.trim(), PAGE);
    if (seq !== this.seq) return;
    if (!r.ok) return this.status.say(this.t.refused + r.message, true);
    const rows = r.entries.flatMap((e) => this.entry(e));
    const firstNew = rows[0];
    if (more) this.body.append(...rows);
    else this.body.replaceChildren(...rows);
    if (!more && rows.length === 0) this.body.append(h("tr", {}, h("td", { colspan: "6", class: "empty" }, this.t.admin.auditEmpty)));
    this.last = r.entries[r.entries.length - 1]?.id ?? this.last;
    this.older.hidden = r.entries.length < PAGE;
    this.status.clear();
    // After "older", focus goes to the first new row, where reading continues.
    if (more) firstNew?.querySelector<HTMLElement>("button")?.focus();
  }

  private entry(e: AuditEntry): HTMLTableRowElement[] {
    const a = this.t.admin;
    const id = `audit-${e.id}`;
    const toggle = button(a.details, "expand", { "aria-expanded": "false", "aria-controls": id, "aria-label": a.detailsOf(e.action, e.target) });
    const detail = h(
      "tr",
      { id, class: "audit-detail", hidden: true },
      h(
        "td",
        { colspan: "6" },
        h("div", { class: "pair" }, h("div", {}, h("h5", {}, a.before), h("pre", {}, json(e.before))), h("div", {}, h("h5", {}, a.after), h("pre", {}, json(e.after)))),
      ),
    );
    toggle.addEventListener("click", () => {
      const open = detail.hidden;
      detail.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    });
    const main = h(
      "tr",
      { "data-audit-id": String(e.id), "data-audit-action": e.action },
      h("td", {}, h("time", { datetime: e.created_at }, when(e.created_at, this.locale))),
      h("td", {}, e.actor?.name ?? a.system),
      h("td", {}, e.action),
      h("td", { class: "text" }, e.target || DASH),
      h("td", { class: "text" }, e.reason ?? ""),
      h("td", {}, toggle),
    );
    return [main, detail];
  }
}
