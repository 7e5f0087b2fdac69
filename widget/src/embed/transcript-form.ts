// "E-mail me this transcript": a small form beside the rating card once a chat
// has ended, offered only when the gateway can send e-mail
// (site.transcript_email). Prefilled with the pre-chat e-mail; the result is
// said in the visitor's language, as text (never markup).

import { h } from "../shared/dom";
import type { Strings } from "../shared/i18n";
import { EMAIL } from "./prechat";

export type TranscriptResult = { ok: true } | { ok: false; message?: string };

export class TranscriptForm {
  readonly element: HTMLFormElement;
  private readonly label: Text;
  private readonly email: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly result: HTMLElement;
  /** The conversation the form was last reset for. */
  private shownFor: string | null = null;

  constructor(
    private t: Strings,
    onSend: (email: string) => Promise<TranscriptResult>,
  ) {
    this.label = document.createTextNode(t.transcriptLabel);
    this.email = h("input", { type: "email", name: "transcript-email", autocomplete: "email", maxlength: "254", inputmode: "email" });
    this.submit = h("button", { type: "submit", class: "primary" }, t.transcriptSend);
    this.result = h("p", { class: "done", role: "status", hidden: true });
    this.element = h(
      "form",
      { class: "card transcript", novalidate: true },
      h("label", {}, this.label, h("span", { class: "row" }, this.email, this.submit)),
      this.result,
    );
    this.element.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const email = this.email.value.trim();
      if (email.length > 254 || !EMAIL.test(email)) {
        this.say(this.t.transcriptBadEmail, true);
        return;
      }
      this.submit.disabled = true;
      const result = await onSend(email);
      this.submit.disabled = false;
      if (result.ok) {
        this.say(this.t.transcriptSent, false);
        this.email.disabled = this.submit.disabled = true;
      } else this.say(this.t.transcriptFailed + (result.message ?? ""), true);
    });
  }

  /** A newly ended conversation: an empty form again, prefilled with `email`. */
  reset(conversationId: string, email: string | null): void {
    if (this.shownFor === conversationId) return;
    this.shownFor = conversationId;
    this.email.value = email ?? "";
    this.email.disabled = this.submit.disabled = false;
    this.email.removeAttribute("aria-invalid");
    this.result.hidden = true;
    this.result.textContent = "";
  }

  relabel(t: Strings): void {
    this.t = t;
    this.label.textContent = t.transcriptLabel;
    this.submit.textContent = t.transcriptSend;
  }

  private say(text: string, error: boolean): void {
    this.result.textContent = text;
    this.result.className = error ? "done form-error" : "done";
    this.result.hidden = false;
    if (error) this.email.setAttribute("aria-invalid", "true");
    else this.email.removeAttribute("aria-invalid");
  }
}
