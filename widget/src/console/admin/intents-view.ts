// The Intents tab: "new intent" at the top, a searchable list (name and
// example counts per language) and the editor of the chosen intent beside it.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { IntentEditor } from "./intent-editor";
import { newIntentForm } from "./new-intent-form";
import { newIntentBody } from "./requests";
import type { IntentSummary } from "./types";
import { Status, button, disclosure } from "./ui";

const SEARCH_DELAY_MS = 250;

export class IntentsPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly status = new Status();
  private readonly editor: IntentEditor;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private readonly dialog: { close(): void };

  constructor(
    private readonly t: ConsoleStrings,
    locale: string,
  ) {
    const a = t.admin;
    this.editor = new IntentEditor(t, locale, {
      changed: () => void this.reload(),
      deleted: () => void this.reload(),
    });
    this.search = h("input", { type: "search", name: "q", "aria-label": a.search, placeholder: a.search, autocomplete: "off" });
    this.search.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), SEARCH_DELAY_MS);
    });
    this.list = h("ul", { class: "intent-list", "aria-label": t.admin.tabs.intents });
    const opener = button(a.newIntent, "new-intent");
    const form = newIntentForm(t, (d) => this.create(d.name, d.ja, d.en), () => this.dialog.close());
    this.dialog = disclosure(opener, form);
    this.element = h(
      "div",
      { class: "admin-intents" },
      h("div", { class: "row toolbar" }, opener),
      form,
      this.status.element,
      h("div", { class: "split" }, h("div", { class: "intent-side" }, this.search, this.list), this.editor.element),
    );
  }

  show(): void {
    void this.reload();
  }

  hide(): void {
    clearTimeout(this.timer);
  }

  private async reload(): Promise<void> {
    const seq = ++this.seq;
    const r = await adminApi.intents(this.search.value.trim());
    if (seq !== this.seq) return;
    if (!r.ok) return this.status.say(this.t.refused + r.message, true);
    this.renderList(r.intents);
  }

  private renderList(intents: IntentSummary[]): void {
    const a = this.t.admin;
    const current = this.editor.name;
    const hadFocus = this.list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.intent : undefined;
    const items = intents.map((i) => {
      const b = h(
        "button",
        { type: "button", "data-intent": i.name, "aria-current": i.name === current ? "true" : undefined },
        h("span", { class: "name" }, i.name),
        h("span", { class: "counts" }, a.counts(i.examples?.ja ?? 0, i.examples?.en ?? 0)),
      );
      b.addEventListener("click", () => void this.open(i.name));
      return h("li", {}, b);
    });
    this.list.replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, a.intentsEmpty)]));
    if (hadFocus) this.list.querySelector<HTMLElement>(`[data-intent="${CSS.escape(hadFocus)}"]`)?.focus();
  }

  private async open(name: string): Promise<void> {
    for (const b of this.list.querySelectorAll<HTMLElement>("[data-intent]")) {
      if (b.dataset.intent === name) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
    await this.editor.load(name, true);
  }

  private async create(name: string, ja: string, en: string): Promise<boolean> {
    const r = await adminApi.createIntent(newIntentBody(name, ja, en));
    if (!r.ok) {
      this.status.say(this.t.refused + r.message, true);
      return false;
    }
    this.status.say(this.t.admin.created(r.intent.name));
    this.dialog.close();
    await this.reload();
    await this.open(r.intent.name);
    return true;
  }
}
