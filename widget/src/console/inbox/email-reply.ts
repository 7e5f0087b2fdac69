// "Reply by e-mail" under an ended conversation in the inbox reader: the
// agent writes to the address the visitor left (POST
// /api/conversations/{id}/reply), the gateway stores the reply in the
// conversation and queues the e-mail in one transaction.
//
// Each reply has its own client_id. When the gateway's answer is lost (the
// network failed, a proxy answered instead) the reply may or may not be
// stored, so the next Send re-uses that client_id: the gateway then answers
// with the first copy and no second e-mail leaves. A definite refusal
// (no_email, conflict…) stored nothing, so the next Send starts afresh.

import { h } from "../../shared/dom";
import { newClientId } from "../../shared/outbox";
import { api } from "../api";
import { type ConsoleStrings, errorText } from "../i18n";
import type { AgentMessage } from "../types";

/** The longest reply the box accepts (the gateway checks its own limit too). */
const MAX_REPLY = 4000;

export class EmailReplyBox {
  readonly element: HTMLElement;
  private readonly text: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly status: HTMLElement;
  /** The client_id of a reply whose outcome is unknown; re-used by the next Send. */
  private unsure: string | null = null;
  private busy = false;

  /**
   * `conversationId`: the ended conversation answered; `to`: the visitor's
   * address the gateway reported (shown, never parsed as HTML); `sent` hears
   * the stored reply, so the transcript above can show it.
   */
  constructor(
    private readonly t: ConsoleStrings,
    private readonly conversationId: string,
    private readonly to: string,
    private readonly sent: (message: AgentMessage) => void,
  ) {
    const x = t.mailReply;
    const id = `email-reply-${conversationId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    this.text = h("textarea", { id, name: "email-reply", rows: "4", maxlength: String(MAX_REPLY), placeholder: x.placeholder });
    this.send = h("button", { type: "submit", class: "primary" }, x.send);
    this.status = h("p", { class: "meta email-status", role: "status", "aria-live": "polite" });
    const form = h(
      "form",
      { class: "email-reply", "data-conversation": conversationId, "aria-labelledby": `${id}-title` },
      h("h4", { id: `${id}-title` }, x.title),
      h("p", { class: "email-to" }, x.to(to)),
      h("label", { class: "sr-only", for: id }, x.title),
      this.text,
      h("div", { class: "row" }, this.send, h("span", { class: "meta" }, x.hint)),
      this.status,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.element = form;
  }

  private async submit(): Promise<void> {
    if (this.busy) return; // a second click while the first is on its way
    const x = this.t.mailReply;
    const text = this.text.value.trim();
    if (!text) {
      this.say(x.empty, true);
      this.text.focus();
      return;
    }
    const clientId = this.unsure ?? newClientId();
    this.unsure = clientId;
    this.setBusy(true);
    this.say(x.sending, false);
    const r = await api.emailReply(this.conversationId, clientId, text);
    this.setBusy(false);
    if (r.ok) {
      this.unsure = null;
      this.text.value = "";
      this.say(x.sent(this.to), false);
      this.element.dataset.state = "sent";
      delete this.element.dataset.error;
      this.sent(r.message);
      return;
    }
    // Status 0: no answer at all; 5xx without our code: a proxy's page. Either
    // way the gateway may have stored it, so the client_id is kept.
    const unknown = r.status === 0 || (r.status >= 500 && r.error === "unavailable");
    if (!unknown) this.unsure = null;
    this.element.dataset.state = unknown ? "unsure" : "refused";
    this.element.dataset.error = r.error;
    this.say(unknown ? x.lost : (x.errors[r.error] ?? errorText(this.t, r)), true);
  }

  private setBusy(on: boolean): void {
    this.busy = on;
    this.send.disabled = on;
    this.text.readOnly = on;
    this.element.setAttribute("aria-busy", String(on));
    if (on) this.element.dataset.state = "sending";
  }

  private say(text: string, error: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
    this.status.setAttribute("role", error ? "alert" : "status");
  }
}
