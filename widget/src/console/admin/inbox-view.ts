// The Inbox tab: GET /api/admin/unmatched as one card per group, largest
// first, with the existing intents offered in each card's picker. A labelled
// group leaves the page at once; focus moves to the next group so a run of
// labelling needs no mouse.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { GroupCard } from "./group-card";
import { OUT_OF_SCOPE } from "./requests";
import { Status, button, field } from "./ui";

const DATALIST_ID = "admin-intent-names";
const PERIODS = [7, 30, 90];

export class InboxPanel {
  readonly element: HTMLElement;
  private readonly groups: HTMLElement;
  private readonly names: HTMLDataListElement;
  private readonly days: HTMLSelectElement;
  private readonly lang: HTMLSelectElement;
  private readonly status = new Status();
  /** Only the newest load may paint (filters can change while one is on its way). */
  private seq = 0;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
  ) {
    const a = t.admin;
    this.days = h("select", { name: "days" }, ...PERIODS.map((n) => h("option", { value: String(n) }, a.lastDays(n))));
    this.days.value = "30";
    this.lang = h(
      "select",
      { name: "locale" },
      h("option", { value: "" }, a.allLocales),
      ...Object.entries(a.langs).map(([l, name]) => h("option", { value: l }, name)),
    );
    const refresh = button(a.refresh, "refresh");
    this.names = h("datalist", { id: DATALIST_ID });
    this.groups = h("div", { class: "groups", "aria-busy": "false" });
    this.element = h(
      "div",
      { class: "admin-inbox" },
      h("p", { class: "intro" }, a.inboxIntro),
      h("div", { class: "row toolbar" }, field(a.period, this.days), field(t.locale, this.lang), refresh),
      this.status.element,
      this.names,
      this.groups,
    );
    for (const el of [this.days, this.lang]) el.addEventListener("change", () => void this.load());
    refresh.addEventListener("click", () => void this.load());
  }

  show(): void {
    void this.load();
  }

  hide(): void {
    this.seq++;
  }

  private async load(): Promise<void> {
    const seq = ++this.seq;
    this.groups.setAttribute("aria-busy", "true");
    const [groups, intents] = await Promise.all([adminApi.unmatched(Number(this.days.value), this.lang.value || undefined), adminApi.intents()]);
    if (seq !== this.seq) return;
    this.groups.setAttribute("aria-busy", "false");
    if (intents.ok) {
      const names = intents.intents.map((i) => i.name).filter((n) => n !== OUT_OF_SCOPE);
      this.names.replaceChildren(...names.map((n) => h("option", { value: n })));
    }
    if (!groups.ok) {
      this.status.say(this.t.refused + groups.message, true);
      return;
    }
    const cards = groups.groups.map(
      (g) =>
        new GroupCard(g, this.t, this.locale, DATALIST_ID, {
          done: (card, message) => this.done(card, message),
          failed: (message) => this.status.say(message, true),
        }),
    );
    this.groups.replaceChildren(...(cards.length ? cards.map((c) => c.element) : [h("p", { class: "empty" }, this.t.admin.inboxEmpty)]));
    this.element.dataset.groups = String(cards.length);
  }

  private done(card: GroupCard, message: string): void {
    const el = card.element;
    const active = document.activeElement;
    const hadFocus = !active || active === document.body || el.contains(active);
    const next = (el.nextElementSibling ?? el.previousElementSibling) as HTMLElement | null;
    el.remove();
    this.status.say(message);
    const left = this.groups.querySelectorAll("[data-group-id]").length;
    this.element.dataset.groups = String(left);
    if (left === 0) this.groups.append(h("p", { class: "empty" }, this.t.admin.inboxEmpty));
    if (hadFocus) (next?.querySelector<HTMLElement>("h3") ?? this.status.element).focus();
  }
}
