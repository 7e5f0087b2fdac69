// The small "new intent" form (name + the answer in both languages), used on
// an inbox group and at the top of the Intents tab. It checks the rules of
// docs/admin.md before sending; the caller sends and says what happened.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { INTENT_NAME, newIntentProblem } from "./requests";
import { field } from "./ui";

export interface NewIntentDraft {
  name: string;
  ja: string;
  en: string;
}

let formSeq = 0;

export function newIntentForm(
  t: ConsoleStrings,
  submit: (draft: NewIntentDraft) => Promise<boolean>,
  cancel: (() => void) | null,
): HTMLFormElement {
  const a = t.admin;
  const id = `new-intent-${++formSeq}`;
  const name = h("input", {
    name: "name",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    pattern: INTENT_NAME.source.slice(1, -1),
    maxlength: "64",
    placeholder: a.nameHint,
    "aria-describedby": `${id}-error`,
  });
  const ja = h("textarea", { name: "ja", required: true, rows: "2", lang: "ja", maxlength: "4000" });
  const en = h("textarea", { name: "en", required: true, rows: "2", lang: "en", maxlength: "4000" });
  const error = h("p", { class: "admin-error", id: `${id}-error`, role: "alert", hidden: true });
  const create = h("button", { type: "submit", "data-action": "create-intent" }, a.create);
  const cancelBtn = cancel ? h("button", { type: "button", "data-action": "cancel" }, a.cancel) : null;
  const form = h(
    "form",
    { class: "new-intent-form", novalidate: true },
    field(a.name, name),
    h("div", { class: "pair" }, field(a.answerJa, ja), field(a.answerEn, en)),
    error,
    h("div", { class: "row" }, create, cancelBtn),
  );
  cancelBtn?.addEventListener("click", () => cancel?.());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const draft = { name: name.value.trim(), ja: ja.value, en: en.value };
    const problem = newIntentProblem(draft.name, draft.ja, draft.en);
    error.hidden = !problem;
    if (problem) {
      error.textContent = a.problems[problem] ?? problem;
      (problem === "name" ? name : !ja.value.trim() ? ja : en).focus();
      return;
    }
    create.disabled = true;
    void submit(draft).then((ok) => {
      create.disabled = false;
      if (ok) form.reset();
    });
  });
  return form;
}
