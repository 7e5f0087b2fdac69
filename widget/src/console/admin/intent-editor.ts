// One intent in the Intents tab: its examples per language (add, delete) and
// its answer in both languages side by side. Save sends the revision the
// answer was loaded at; when someone else saved in between, the gateway says
// 409 and the editor offers Reload instead of overwriting their change.

import { h } from "../../shared/dom";
import type { ApiFailure } from "../api";
import type { ConsoleStrings } from "../i18n";
import { AnswerEditor } from "./answer-editor";
import { adminApi } from "./api";
import { when } from "./format";
import { LOCALES, answerProblem, exampleBody, guessLocale, nextRevision, updateIntentBody } from "./requests";
import type { Example, Intent, PerLocale } from "./types";
import { Status, askFirst, busy, button, field, localeSelect } from "./ui";

export interface EditorHooks {
  /** Counts or answers changed: the list beside should be re-read. */
  changed(): void;
  deleted(name: string): void;
}

export class IntentEditor {
  readonly element = h("div", { class: "intent-detail" });
  private readonly status = new Status();
  private intent: Intent | null = null;
  /** The revision the answer form was loaded at (what Save sends). */
  private base = 0;
  private answers: PerLocale<AnswerEditor> | null = null;
  private examples: HTMLElement = h("div");
  private conflict: HTMLElement = h("div");

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    private readonly hooks: EditorHooks,
  ) {
    this.element.append(h("p", { class: "empty" }, t.admin.pick));
  }

  get name(): string | null {
    return this.intent?.name ?? null;
  }

  async load(name: string, focus = false): Promise<void> {
    const r = await adminApi.intent(name);
    if (!r.ok) {
      this.element.replaceChildren(this.status.element);
      this.status.say(this.t.refused + r.message, true);
      return;
    }
    this.render(r.intent);
    if (focus) this.element.querySelector<HTMLElement>("h3")?.focus();
  }

  private render(intent: Intent): void {
    const a = this.t.admin;
    this.intent = intent;
    this.base = intent.revision;
    const editor = (l: "ja" | "en") => new AnswerEditor(this.t, l, intent.responses[l] ?? null, intent.labels[l] ?? "");
    this.answers = { ja: editor("ja"), en: editor("en") };
    this.examples = h("div", { class: "pair examples-by-locale" });
    this.renderExamples(intent.examples_list);
    const reload = button(a.reload, "reload");
    reload.addEventListener("click", () => void this.load(intent.name, true));
    this.conflict = h("div", { class: "admin-error conflict", role: "alert", hidden: true }, h("span", {}), " ", reload);

    const save = h("button", { type: "submit", "data-action": "save", class: "primary" }, a.save);
    const form = h(
      "form",
      { class: "answers", "aria-label": a.answer },
      h("h4", {}, a.answer),
      h("div", { class: "pair" }, this.answers.ja.element, this.answers.en.element),
      h("div", { class: "row" }, save, this.deleteControls(intent.name)),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void busy(save, () => this.save());
    });

    this.element.replaceChildren(
      h(
        "article",
        { class: "intent-editor", "data-intent-detail": intent.name, "aria-labelledby": "intent-editor-title" },
        h("h3", { id: "intent-editor-title", tabindex: "-1" }, intent.name),
        h("p", { class: "meta" }, a.revision(intent.revision, when(intent.updated_at, this.locale))),
        this.status.element,
        this.conflict,
        h("section", { class: "examples-section" }, h("h4", {}, a.examples), this.addExampleForm(intent.name), this.examples),
        form,
      ),
    );
  }

  private renderExamples(list: Example[]): void {
    const a = this.t.admin;
    this.examples.replaceChildren(
      ...LOCALES.map((l) => {
        const mine = list.filter((x) => x.locale === l);
        return h(
          "div",
          { class: "examples-col", "data-locale": l },
          h("h5", {}, a.inLang(a.langs[l] ?? l, mine.length)),
          h("ul", { class: "examples" }, ...mine.map((x) => this.exampleItem(x))),
        );
      }),
    );
  }

  private exampleItem(x: Example): HTMLElement {
    const a = this.t.admin;
    const del = button(a.deleteExample, "delete-example", { class: "danger", "aria-label": a.deleteExampleOf(x.text) });
    const li = h("li", { "data-example-id": String(x.id) }, h("span", { class: "text", lang: x.locale }, x.text), h("span", { class: "tag" }, a.sources[x.source] ?? x.source), del);
    del.addEventListener("click", () => {
      // Focus goes to the neighbour's Delete (or the add field), not to the page top.
      const nextId = ((li.nextElementSibling ?? li.previousElementSibling) as HTMLElement | null)?.dataset.exampleId;
      void busy(del, () => adminApi.deleteExample(x.id)).then((r) => {
        if (!r) return;
        if (!r.ok) return this.refused(r);
        this.examplesChanged(r.intent, a.exampleDeleted);
        const target = nextId ? this.examples.querySelector<HTMLElement>(`[data-example-id="${CSS.escape(nextId)}"] button`) : null;
        (target ?? this.element.querySelector<HTMLElement>(".add-example input"))?.focus();
      });
    });
    return li;
  }

  private addExampleForm(intent: string): HTMLFormElement {
    const a = this.t.admin;
    const text = h("input", { name: "text", required: true, maxlength: "500", "aria-label": a.exampleText, placeholder: a.exampleText });
    const lang = localeSelect(this.t.locale, a.langs);
    let chosen = false;
    lang.addEventListener("change", () => (chosen = true));
    text.addEventListener("input", () => {
      if (!chosen) lang.value = guessLocale(text.value);
    });
    const add = h("button", { type: "submit", "data-action": "add-example" }, a.addExample);
    const form = h("form", { class: "row add-example" }, field(a.exampleText, text), lang, add);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!text.value.trim()) {
        this.status.say(a.problems.text ?? "", true);
        text.focus();
        return;
      }
      void busy(add, () => adminApi.addExamples(exampleBody(intent, lang.value, text.value))).then((r) => {
        if (!r) return;
        if (!r.ok) return this.refused(r);
        const skipped = r.skipped.length ? ` ${a.skipped(r.skipped.filter((s) => s.reason === "duplicate").length, r.skipped.filter((s) => s.reason !== "duplicate").length)}` : "";
        this.examplesChanged(r.intent, r.added.length ? a.exampleAdded + skipped : skipped.trim());
        text.value = "";
        chosen = false;
        text.focus();
      });
    });
    return form;
  }

  /** Our own example change came back: show it, and move the answer's base only if nobody else changed the intent. */
  private examplesChanged(intent: Intent, message: string): void {
    this.base = nextRevision(this.base, intent.revision);
    if (this.intent) this.intent = { ...this.intent, examples: intent.examples, examples_list: intent.examples_list };
    this.renderExamples(intent.examples_list);
    this.status.say(message);
    this.hooks.changed();
  }

  private async save(): Promise<void> {
    const { intent, answers } = this;
    if (!intent || !answers) return;
    const drafts = { ja: answers.ja.draft(), en: answers.en.draft() };
    const problem = answerProblem(drafts, intent);
    if (problem) return this.status.say(this.t.admin.problems[problem] ?? problem, true);
    const r = await adminApi.updateIntent(intent.name, updateIntentBody(this.base, drafts, intent));
    if (!r.ok) return this.refused(r);
    this.render(r.intent);
    this.status.say(this.t.admin.saved);
    this.hooks.changed();
  }

  private deleteControls(name: string): HTMLElement {
    const a = this.t.admin;
    const ask = button(a.deleteIntent, "delete-intent", { class: "danger" });
    const yes = button(a.deleteIntent, "confirm-delete", { class: "danger" });
    const no = button(a.cancel, "cancel");
    const confirm = askFirst(ask, a.confirmDelete(name), yes, no, () => {
      void busy(yes, () => adminApi.deleteIntent(name, this.base)).then((r) => {
        if (!r) return;
        if (!r.ok) return this.refused(r);
        this.intent = null;
        this.element.replaceChildren(this.status.element, h("p", { class: "empty" }, a.pick));
        this.status.say(a.deleted(name));
        this.hooks.deleted(name);
      });
    });
    return h("span", { class: "delete-intent" }, ask, confirm);
  }

  private refused(r: ApiFailure): void {
    if (r.status === 409 && r.error === "conflict") {
      this.conflict.firstElementChild!.textContent = `${r.message} — ${this.t.admin.conflict}`;
      this.conflict.hidden = false;
      this.conflict.querySelector<HTMLElement>("[data-action=reload]")?.focus();
      return;
    }
    this.status.say(this.t.refused + r.message, true);
  }
}
