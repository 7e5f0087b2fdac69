// "Nobody is available" form. It is sent as the protocol's own
// `leave_message {client_id, text, email, name?}` event: the gateway stores
// the text as a visitor message, the contact apart from it, and closes the
// wait. The form says "received" only after the gateway's ack; a refusal is
// shown with the gateway's sentence and the fields stay filled for another try.

import { h } from "../shared/dom";
import type { Locale, Strings } from "../shared/i18n";
import { TextLimit } from "./text-limit";

export interface LeftMessage {
  text: string;
  email: string;
  name?: string;
}

export type SubmitResult = { ok: true } | { ok: false; message?: string };

export class OfflineForm {
  readonly element: HTMLFormElement;
  private readonly done: HTMLElement;
  private readonly fields: HTMLElement;
  private readonly name: HTMLInputElement;
  private readonly email: HTMLInputElement;
  private readonly body: HTMLTextAreaElement;
  private readonly opens: HTMLElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly limit: TextLimit;
  /** Texts to redo when the visitor's language changes (heading, labels…). */
  private readonly labels: [Node, (t: Strings) => string][] = [];
  private opensAt: string | null | undefined = null;

  constructor(
    private t: Strings,
    private locale: Locale,
    maxText: number,
    onSubmit: (form: LeftMessage) => Promise<SubmitResult>,
  ) {
    this.opens = h("p", { class: "opens", hidden: true });
    this.name = h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "100" });
    this.email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: "200" });
    // The text is stored as a message: same limit, said the same way (no silent maxlength cut).
    this.body = h("textarea", { name: "message", required: true });
    this.limit = new TextLimit(this.body, maxText, locale, "tsunagu-offline-limit");
    const text = (pick: (t: Strings) => string): Text => {
      const node = document.createTextNode(pick(t));
      this.labels.push([node, pick]);
      return node;
    };
    this.done = h("p", { role: "status", hidden: true }, text((t) => t.offlineSent));
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.submit = h("button", { type: "submit", class: "primary" }, text((t) => t.offlineSend));
    this.fields = h(
      "div",
      {},
      h("h3", {}, text((t) => t.offlineTitle)),
      h("p", {}, text((t) => t.offlineIntro)),
      this.opens,
      h("label", {}, text((t) => t.offlineName), this.name),
      h("label", {}, text((t) => t.offlineEmail), this.email),
      h("label", {}, text((t) => t.offlineMessage), this.body),
      this.limit.element,
      this.error,
      this.submit,
    );
    this.element = h("form", { class: "card offline", novalidate: false }, this.fields, this.done);
    this.element.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!this.element.reportValidity() || this.submit.disabled || !this.limit.allows()) return;
      const form: LeftMessage = { text: this.body.value.trim(), email: this.email.value.trim() };
      if (this.name.value.trim()) form.name = this.name.value.trim();
      this.submit.disabled = true;
      this.error.hidden = true;
      void onSubmit(form).then((result) => {
        this.submit.disabled = false;
        if (result.ok) {
          this.fields.hidden = true;
          this.done.hidden = false;
        } else {
          this.error.textContent = this.t.errorPrefix + (result.message ?? "");
          this.error.hidden = false;
        }
      });
    });
  }

  /** Outside business hours the gateway says when it opens again. */
  setOpensAt(iso: string | null | undefined): void {
    this.opensAt = iso;
    const text = opensAtText(iso, this.locale, this.t);
    this.opens.hidden = text === null;
    this.opens.textContent = text ?? "";
  }

  /** The form for another wait: the fields again (name and e-mail kept), no thanks. */
  reset(): void {
    if (!this.fields.hidden) return;
    this.body.value = "";
    this.limit.update();
    this.fields.hidden = false;
    this.done.hidden = true;
  }

  /** The visitor's language changed: the same form, in it (what they typed stays). */
  relabel(t: Strings, locale: Locale): void {
    this.t = t;
    this.locale = locale;
    for (const [node, pick] of this.labels) node.textContent = pick(t);
    this.limit.setLocale(locale);
    this.setOpensAt(this.opensAt);
  }

  focus(): void {
    if (this.fields.hidden) return;
    (this.name.value ? this.body : this.name).focus();
  }
}

/** "We are back …" for the gateway's `opens_at`, or null when it gives none (or a bad one). */
export function opensAtText(iso: string | null | undefined, locale: Locale, t: Strings): string | null {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return null;
  return t.opensAt(d.toLocaleString(locale, { weekday: "short", hour: "2-digit", minute: "2-digit" }));
}
