// "Nobody is available" form. The protocol has no leave-a-message event yet,
// so the form is delivered as an ordinary visitor message through the outbox
// (which means it survives reloads and flaky networks like any message).

import { h } from "../shared/dom";
import type { Strings } from "../shared/i18n";

export class OfflineForm {
  readonly element: HTMLFormElement;
  private readonly done: HTMLElement;
  private readonly fields: HTMLElement;
  private readonly name: HTMLInputElement;
  private readonly email: HTMLInputElement;
  private readonly body: HTMLTextAreaElement;
  private readonly opens: HTMLElement;

  constructor(
    private readonly t: Strings,
    private readonly locale: string,
    onSubmit: (text: string) => void,
  ) {
    this.opens = h("p", { class: "opens", hidden: true });
    this.name = h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "100" });
    this.email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: "200" });
    this.body = h("textarea", { name: "message", required: true, maxlength: "2000" });
    this.done = h("p", { role: "status", hidden: true }, t.offlineSent);
    this.fields = h(
      "div",
      {},
      h("h3", {}, t.offlineTitle),
      h("p", {}, t.offlineIntro),
      this.opens,
      h("label", {}, t.offlineName, this.name),
      h("label", {}, t.offlineEmail, this.email),
      h("label", {}, t.offlineMessage, this.body),
      h("button", { type: "submit", class: "primary" }, t.offlineSend),
    );
    this.element = h("form", { class: "card offline", novalidate: false }, this.fields, this.done);
    this.element.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!this.element.reportValidity()) return;
      const lines = [t.offlineHeader];
      if (this.name.value.trim()) lines.push(`${t.offlineName}: ${this.name.value.trim()}`);
      lines.push(`${t.offlineEmail}: ${this.email.value.trim()}`, "", this.body.value.trim());
      onSubmit(lines.join("\n"));
      this.fields.hidden = true;
      this.done.hidden = false;
    });
  }

  /** Outside business hours the gateway says when it opens again. */
  setOpensAt(iso: string | null | undefined): void {
    const d = iso ? new Date(iso) : null;
    const valid = !!d && !Number.isNaN(d.getTime());
    this.opens.hidden = !valid;
    if (valid && d) {
      const when = d.toLocaleString(this.locale, { weekday: "short", hour: "2-digit", minute: "2-digit" });
      this.opens.textContent = this.t.opensAt(when);
    }
  }

  focus(): void {
    if (this.fields.hidden) return;
    (this.name.value ? this.body : this.name).focus();
  }
}
