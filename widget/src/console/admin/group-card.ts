// One group of the unmatched inbox: what the messages have in common (size,
// languages, when, the bot's guesses, why they are here), the messages with
// checkboxes, and the four ways to label the checked ones in one go.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { localeCounts, pct0, when } from "./format";
import { FIRST_EXAMPLES, outcome, reasonCounts } from "./inbox-summary";
import { newIntentForm } from "./new-intent-form";
import { assignBody, nameProblem, newIntentBody, outOfScopeBody } from "./requests";
import type { ApiFailure } from "../api";
import type { Group } from "./types";
import { busy, button, disclosure, field } from "./ui";

export interface CardHooks {
  /** The group was labelled or ignored: it leaves the inbox. */
  done(card: GroupCard, message: string): void;
  failed(message: string): void;
}

export class GroupCard {
  readonly element: HTMLElement;
  readonly heading: HTMLElement;
  private readonly boxes: HTMLInputElement[] = [];

  constructor(
    readonly group: Group,
    private readonly t: ConsoleStrings,
    locale: string,
    datalistId: string,
    private readonly hooks: CardHooks,
  ) {
    const a = t.admin;
    const g = group;
    const hid = `group-${g.id}`;
    this.heading = h("h3", { id: hid, tabindex: "-1" }, a.groupTitle(g.size));
    const chips = (items: [string, string, string][]) =>
      h("ul", { class: "chips" }, ...items.map(([attr, value, text]) => h("li", { [attr]: value }, text)));
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", {}, a.suggested),
      h("dd", { "data-suggested": g.suggested_intent ?? "" }, g.suggested_intent ?? a.none),
      h("dt", {}, a.guesses),
      h("dd", {}, g.guesses.length ? chips(g.guesses.map((x) => ["data-guess", x.intent, `${x.intent} ${pct0(x.confidence)}`])) : a.none),
      h("dt", {}, a.why),
      h("dd", {}, chips(reasonCounts(g.examples).map((r) => ["data-reason", r.code, `${a.reasons[r.code] ?? r.code} ×${r.count}`]))),
    );

    const items = g.examples.map((x, i) => {
      const box = h("input", { type: "checkbox", checked: true, value: x.message_id });
      this.boxes.push(box);
      return h(
        "li",
        { "data-message-id": x.message_id, hidden: i >= FIRST_EXAMPLES },
        h("label", {}, box, h("span", { class: "text", lang: x.locale }, x.text)),
        h("span", { class: "tag" }, x.locale),
        h("span", { class: "tag" }, a.reasons[x.reason] ?? x.reason),
        x.intent ? h("span", { class: "tag" }, `${x.intent} ${pct0(x.confidence)}`) : null,
      );
    });
    const list = h("ul", { class: "examples" }, ...items);
    const more = g.examples.length > FIRST_EXAMPLES ? button(a.showAll(g.examples.length), "show-all", { "aria-expanded": "false" }) : null;
    more?.addEventListener("click", () => {
      const open = more.getAttribute("aria-expanded") !== "true";
      more.setAttribute("aria-expanded", String(open));
      more.textContent = open ? a.showFewer : a.showAll(g.examples.length);
      items.forEach((li, i) => (li.hidden = !open && i >= FIRST_EXAMPLES));
    });

    const picker = h("input", { name: "intent", list: datalistId, autocomplete: "off", spellcheck: "false", value: g.suggested_intent ?? "" });
    const assign = button(a.assign, "assign");
    const create = button(a.newIntent, "new-intent");
    const oos = button(a.outOfScope, "out-of-scope");
    const ignore = button(a.ignore, "ignore");
    const newForm = newIntentForm(t, (d) => this.createIntent(d.name, d.ja, d.en), () => dialog.close());
    const dialog = disclosure(create, newForm);

    this.element = h(
      "article",
      { class: "admin-card group", "data-group-id": g.id, "aria-labelledby": hid },
      h("div", { class: "card-head" }, this.heading, h("span", { class: "meta" }, `${localeCounts(g.locales)} · ${a.seen(when(g.first_seen, locale), when(g.last_seen, locale))}`)),
      facts,
      h("fieldset", { class: "group-examples" }, h("legend", {}, a.messages), list, more),
      h("div", { class: "row actions-row" }, field(a.intent, picker), assign, create, oos, ignore),
      newForm,
    );

    assign.addEventListener("click", () => {
      const intent = picker.value.trim();
      if (nameProblem(intent)) {
        this.hooks.failed(a.problems.name ?? "");
        picker.focus();
        return;
      }
      void this.run(assign, (ids) => adminApi.addExamples(assignBody(intent, ids)), (r) => this.addedText(intent, r));
    });
    oos.addEventListener("click", () => void this.run(oos, (ids) => adminApi.addExamples(outOfScopeBody(ids)), (r) => this.addedText(null, r)));
    ignore.addEventListener("click", () => void this.run(ignore, (ids) => adminApi.ignore(ids), (r) => a.ignored(r.ignored)));
  }

  private checked(): string[] {
    return this.boxes.filter((b) => b.checked).map((b) => b.value);
  }

  private addedText(intent: string | null, r: Parameters<typeof outcome>[0]): string {
    const a = this.t.admin;
    const o = outcome(r);
    const head = intent ? a.assigned(intent, o.added) : a.markedOos(o.added);
    const tail = a.skipped(o.duplicate, o.otherIntent + o.other);
    return tail ? `${head} ${tail}` : head;
  }

  private async createIntent(name: string, ja: string, en: string): Promise<boolean> {
    const ids = this.checked();
    if (ids.length === 0) {
      this.hooks.failed(this.t.admin.problems.checked ?? "");
      return false;
    }
    const r = await adminApi.createIntent(newIntentBody(name, ja, en, ids));
    if (!r.ok) {
      this.hooks.failed(this.t.refused + r.message);
      return false;
    }
    this.hooks.done(this, this.t.admin.created(r.intent.name));
    return true;
  }

  private async run<T extends object>(
    btn: HTMLButtonElement,
    call: (ids: string[]) => Promise<({ ok: true } & T) | ApiFailure>,
    say: (r: T) => string,
  ): Promise<void> {
    const ids = this.checked();
    if (ids.length === 0) {
      this.hooks.failed(this.t.admin.problems.checked ?? "");
      return;
    }
    const r = await busy(btn, () => call(ids));
    if (!r) return;
    if (r.ok) this.hooks.done(this, say(r));
    else this.hooks.failed(this.t.refused + r.message);
  }
}
