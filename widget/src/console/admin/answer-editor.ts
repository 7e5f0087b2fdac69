// One language's answer in the intent editor: the label shown on buttons,
// the text, and its quick replies as title/payload rows.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { MAX_QUICK_REPLIES, type AnswerDraft } from "./requests";
import type { Answer, QuickReplyRow } from "./types";
import { button, field } from "./ui";

export class AnswerEditor {
  readonly element: HTMLFieldSetElement;
  private readonly label: HTMLInputElement;
  private readonly text: HTMLTextAreaElement;
  private readonly rows: HTMLElement;
  private add: HTMLButtonElement | null = null;

  constructor(
    private readonly t: ConsoleStrings,
    readonly locale: "ja" | "en",
    answer: Answer | null,
    label: string,
  ) {
    const a = t.admin;
    this.label = h("input", { name: `label-${locale}`, lang: locale, value: label, maxlength: "80" });
    this.text = h("textarea", { name: `answer-${locale}`, lang: locale, rows: "5", maxlength: "4000" });
    this.text.value = answer?.text ?? "";
    this.rows = h("div", { class: "qr-rows" });
    for (const qr of answer?.quick_replies ?? []) this.addRow(qr);
    const add = button(a.addButton, "add-quick-reply");
    this.add = add;
    add.addEventListener("click", () => this.addRow({ title: "", payload: "" }, true));
    this.limit();
    this.element = h(
      "fieldset",
      { class: "answer", "data-locale": locale, lang: locale },
      h("legend", {}, a.langs[locale] ?? locale),
      field(a.label, this.label),
      field(a.answer, this.text),
      h("div", { class: "qr" }, h("span", { class: "qr-title" }, a.buttons), this.rows, add),
    );
  }

  draft(): AnswerDraft {
    const quick_replies: QuickReplyRow[] = [...this.rows.children].map((r) => ({
      title: r.querySelector<HTMLInputElement>("[name=title]")?.value ?? "",
      payload: r.querySelector<HTMLInputElement>("[name=payload]")?.value ?? "",
    }));
    return { text: this.text.value, label: this.label.value, quick_replies };
  }

  /** The gateway takes at most MAX_QUICK_REPLIES buttons per answer. */
  private limit(): void {
    this.add?.toggleAttribute("hidden", this.rows.children.length >= MAX_QUICK_REPLIES);
  }

  private addRow(qr: QuickReplyRow, focus = false): void {
    const a = this.t.admin;
    const title = h("input", { name: "title", "aria-label": a.qrTitle, placeholder: a.qrTitle, value: qr.title, maxlength: "80" });
    const payload = h("input", { name: "payload", "aria-label": a.qrPayload, placeholder: a.qrPayload, value: qr.payload ?? "", spellcheck: "false", maxlength: "200" });
    const remove = button(a.removeButton, "remove-quick-reply", { class: "danger" });
    const row = h("div", { class: "qr-row" }, title, payload, remove);
    remove.addEventListener("click", () => {
      const next = (row.nextElementSibling ?? row.previousElementSibling)?.querySelector<HTMLElement>("input");
      row.remove();
      this.limit();
      (next ?? this.text).focus();
    });
    this.rows.append(row);
    this.limit();
    if (focus) title.focus();
  }
}
