// Admins manage canned responses here (the same API as `tsunagu canned add`
// and POST/PUT/DELETE /api/canned). Each response is a small form; saving
// sends the CSRF header through api.ts. The list is re-read from the
// gateway after every change, so what is shown is what is stored.

import { h } from "../shared/dom";
import { api, type CannedDraft } from "./api";
import { type ConsoleStrings, errorText } from "./i18n";
import type { Canned } from "./types";

export class CannedAdmin {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;

  constructor(
    private readonly t: ConsoleStrings,
    /** Called with the fresh list after every change (the composers use it). */
    private readonly changed: (list: Canned[]) => void,
  ) {
    this.list = h("div", { class: "canned-list" });
    this.status = h("p", { class: "canned-status", role: "status" });
    this.element = h(
      "aside",
      { class: "supervisor canned-admin", "aria-label": t.manageCanned, hidden: true },
      h("h2", {}, t.manageCanned),
      this.status,
      this.form(null),
      this.list,
    );
  }

  async open(): Promise<void> {
    this.element.hidden = false;
    await this.reload();
  }

  close(): void {
    this.element.hidden = true;
  }

  private async reload(): Promise<void> {
    const r = await api.canned("");
    if (!r.ok) {
      this.status.textContent = this.t.refused + errorText(this.t, r);
      return;
    }
    this.changed(r.canned);
    this.list.replaceChildren(...r.canned.map((c) => this.form(c)));
  }

  /** One editable response, or the empty "add" form when `c` is null. */
  private form(c: Canned | null): HTMLFormElement {
    const t = this.t;
    const shortcut = h("input", { name: "shortcut", required: true, maxlength: "64", pattern: "[\\w\\-.]+", value: c?.shortcut ?? "" });
    const locale = h("select", { name: "locale" }, h("option", { value: "ja" }, "ja"), h("option", { value: "en" }, "en"));
    locale.value = c?.locale ?? "ja";
    const title = h("input", { name: "title", maxlength: "200", value: c?.title ?? "" });
    const text = h("textarea", { name: "text", required: true, maxlength: "4000", rows: "3" });
    text.value = c?.text ?? "";
    const save = h("button", { type: "submit" }, c ? t.cannedSave : t.cannedAdd);
    const remove = c ? h("button", { type: "button", class: "danger" }, t.cannedDelete) : null;
    const form = h(
      "form",
      { class: "canned-item", "data-canned": c ? String(c.id) : "new" },
      h("label", {}, t.cannedShortcut, shortcut),
      h("label", {}, t.language, locale),
      h("label", {}, t.cannedTitle, title),
      h("label", {}, t.cannedText, text),
      h("div", { class: "row" }, save, remove),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const draft: CannedDraft = { shortcut: shortcut.value.trim(), locale: locale.value, title: title.value.trim(), text: text.value };
      void (c ? api.cannedUpdate(c.id, draft) : api.cannedAdd(draft)).then((r) => this.after(r, c ? null : form));
    });
    remove?.addEventListener("click", () => {
      if (c) void api.cannedDelete(c.id).then((r) => this.after(r, null));
    });
    return form;
  }

  private async after(r: { ok: boolean; error?: string; message?: string }, resetForm: HTMLFormElement | null): Promise<void> {
    this.status.textContent = r.ok ? this.t.cannedSaved : this.t.refused + errorText(this.t, r);
    if (!r.ok) return;
    resetForm?.reset();
    await this.reload();
  }
}
