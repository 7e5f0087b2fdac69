// The pre-chat form: the name and e-mail a site asks for before the first
// message (TSUNAGU_PRECHAT on the gateway, or data-prechat on the page). It
// checks what it can here, so a visitor learns at once why an address is
// refused, and the gateway checks again (`profile`); its refusal is shown
// too. Nothing is sent when the site vouched for the visitor (identity).

import { h } from "../shared/dom";
import type { Strings } from "../shared/i18n";
import type { Prechat } from "../shared/protocol";

/** The gateway's rule (live_chat/wire.py): something@domain.tld, at most 254 characters. */
export const EMAIL = /^[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+$/;

export interface PrechatAnswers {
  name?: string;
  email?: string;
}

export type PrechatResult = { ok: true } | { ok: false; error?: string; message?: string };

export class PrechatForm {
  readonly element: HTMLFormElement;
  private readonly name: HTMLInputElement;
  private readonly email: HTMLInputElement;
  private readonly nameRow: HTMLElement;
  private readonly emailRow: HTMLElement;
  private readonly nameHint: HTMLElement;
  private readonly emailHint: HTMLElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly skip: HTMLButtonElement;
  private spec: Prechat = { fields: [], required: [] };
  private readonly title: HTMLElement;
  private readonly intro: HTMLElement;
  private readonly nameLabel: Text;
  private readonly emailLabel: Text;

  constructor(
    private t: Strings,
    onSubmit: (answers: PrechatAnswers) => Promise<PrechatResult>,
    onSkip: () => void,
  ) {
    this.name = h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "100" });
    this.email = h("input", { type: "email", name: "email", autocomplete: "email", maxlength: "254", inputmode: "email" });
    this.nameHint = h("span", { class: "opt" });
    this.emailHint = h("span", { class: "opt" });
    this.nameLabel = document.createTextNode(t.prechatName);
    this.emailLabel = document.createTextNode(t.prechatEmail);
    this.nameRow = h("label", {}, this.nameLabel, " ", this.nameHint, this.name);
    this.emailRow = h("label", {}, this.emailLabel, " ", this.emailHint, this.email);
    this.error = h("p", { class: "form-error", role: "alert", hidden: true, id: "tsunagu-prechat-error" });
    this.submit = h("button", { type: "submit", class: "primary" }, t.prechatStart);
    this.skip = h("button", { type: "button", class: "link" }, t.prechatSkip);
    // novalidate: our sentence, in the visitor's language, instead of the browser's bubble.
    this.element = h(
      "form",
      { class: "card prechat", novalidate: true, "aria-labelledby": "tsunagu-prechat-title" },
      (this.title = h("h3", { id: "tsunagu-prechat-title" }, t.prechatTitle)),
      (this.intro = h("p", {}, t.prechatIntro)),
      this.nameRow,
      this.emailRow,
      this.error,
      h("div", { class: "actions" }, this.submit, this.skip),
    );
    this.skip.addEventListener("click", () => onSkip());
    this.element.addEventListener("submit", (e) => {
      e.preventDefault();
      if (this.submit.disabled) return;
      const answers = this.check();
      if (!answers) return;
      this.submit.disabled = true;
      void onSubmit(answers).then((result) => {
        this.submit.disabled = false;
        if (!result.ok) {
          const bad = (result.message ?? "").startsWith("email:");
          this.say(bad ? this.t.prechatBadEmail : this.t.errorPrefix + (result.message ?? result.error ?? ""), bad ? this.email : null);
        }
      });
    });
  }

  /** Which fields to ask for, and which must be filled in. */
  configure(spec: Prechat): void {
    this.spec = spec;
    const ask = (f: string) => spec.fields.includes(f);
    const req = (f: string) => spec.required.includes(f);
    this.nameRow.hidden = !ask("name");
    this.emailRow.hidden = !ask("email");
    this.name.required = req("name");
    this.email.required = req("email");
    this.nameHint.textContent = req("name") ? "" : this.t.optional;
    this.emailHint.textContent = req("email") ? "" : this.t.optional;
    this.skip.hidden = spec.required.some((f) => spec.fields.includes(f));
  }

  /** The visitor's language changed: the same form, in it (what they typed stays). */
  relabel(t: Strings): void {
    this.t = t;
    this.title.textContent = t.prechatTitle;
    this.intro.textContent = t.prechatIntro;
    this.nameLabel.textContent = t.prechatName;
    this.emailLabel.textContent = t.prechatEmail;
    this.submit.textContent = t.prechatStart;
    this.skip.textContent = t.prechatSkip;
    this.configure(this.spec);
  }

  focus(): void {
    (this.nameRow.hidden ? this.email : this.name).focus();
  }

  /** The answers, or null after saying what is missing or wrong. */
  private check(): PrechatAnswers | null {
    const { t, spec } = this;
    const answers: PrechatAnswers = {};
    const name = this.name.value.trim();
    const email = this.email.value.trim();
    if (spec.fields.includes("name")) {
      if (!name && spec.required.includes("name")) return this.say(t.prechatRequired(t.prechatName), this.name);
      if (name) answers.name = name;
    }
    if (spec.fields.includes("email")) {
      if (!email && spec.required.includes("email")) return this.say(t.prechatRequired(t.prechatEmail), this.email);
      if (email && (email.length > 254 || !EMAIL.test(email))) return this.say(t.prechatBadEmail, this.email);
      if (email) answers.email = email;
    }
    this.error.hidden = true;
    this.name.removeAttribute("aria-invalid");
    this.email.removeAttribute("aria-invalid");
    return answers;
  }

  private say(text: string, field: HTMLInputElement | null): null {
    this.error.textContent = text;
    this.error.hidden = false;
    for (const input of [this.name, this.email]) {
      if (input === field) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", "tsunagu-prechat-error");
      } else input.removeAttribute("aria-invalid");
    }
    field?.focus();
    return null;
  }
}
