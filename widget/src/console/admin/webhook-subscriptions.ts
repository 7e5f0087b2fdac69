// The Webhooks tab's subscriptions: the list (URL, kind, events, active,
// created), the create form (URL, kind, event checkboxes) whose answer shows
// the signing secret once, an inline edit of events and active, and delete
// after a confirmation. Every text from the gateway is set as text.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { DASH, when } from "./format";
import type { Webhook } from "./types";
import { EVENTS, KINDS, subscriptionBody, subscriptionProblem, webhookErrorText } from "./webhook-rules";
import { Status, askFirst, busy, button, disclosure, field, onEscape } from "./ui";

/** Checkboxes of the events, `checked` ticked; `name` keeps forms apart. */
function eventBoxes(t: ConsoleStrings, name: string, checked: readonly string[]): HTMLFieldSetElement {
  const w = t.webhooks;
  return h(
    "fieldset",
    { class: "webhook-events" },
    h("legend", {}, w.events),
    ...EVENTS.map((e) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name, value: e, checked: checked.includes(e) }),
        " ",
        h("code", {}, e),
        " ",
        h("span", { class: "meta" }, w.eventNames[e] ?? ""),
      ),
    ),
  );
}

function ticked(box: HTMLElement): string[] {
  return [...box.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")].map((x) => x.value);
}

export class WebhookSubscriptions {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly status = new Status();
  private readonly secret: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly dialog: { open(): void; close(): void };
  private seq = 0;

  /** `changed` hears every new listing (the log names subscriptions by URL). */
  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    private readonly changed: (items: Webhook[]) => void,
  ) {
    const w = t.webhooks;
    const opener = button(w.newSubscription, "new-webhook", { class: "primary" });
    this.form = this.createForm();
    this.dialog = disclosure(opener, this.form);
    this.secret = h("div", { class: "secret-once", role: "region", "aria-label": w.secretTitle, hidden: true });
    this.body = h("tbody", {});
    const head = [w.url, w.kind, w.events, w.active, w.created, w.actions];
    this.element = h(
      "div",
      { class: "webhook-subscriptions" },
      h("div", { class: "row toolbar" }, opener),
      this.form,
      this.secret,
      this.status.element,
      h("table", { class: "admin-table webhook-table" }, h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))), this.body),
    );
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    const r = await adminApi.webhooks();
    if (seq !== this.seq) return;
    if (!r.ok) return this.status.say(webhookErrorText(this.t.webhooks, r), true);
    this.body.replaceChildren(...r.webhooks.map((x) => this.row(x)));
    if (r.webhooks.length === 0) this.body.append(h("tr", {}, h("td", { colspan: "6", class: "empty" }, this.t.webhooks.none)));
    this.changed(r.webhooks);
  }

  private createForm(): HTMLFormElement {
    const w = this.t.webhooks;
    const url = h("input", { name: "url", type: "url", required: true, autocomplete: "off", spellcheck: "false", placeholder: "https://", size: "48" });
    const kind = h("select", { name: "kind" }, ...KINDS.map((k) => h("option", { value: k }, w.kinds[k] ?? k)));
    const note = h("input", { name: "description", maxlength: "200", autocomplete: "off" });
    const events = eventBoxes(this.t, "event", []);
    const problem = h("p", { class: "admin-error", role: "alert" });
    const create = h("button", { type: "submit", class: "primary", "data-action": "create-webhook" }, w.create);
    const cancel = button(w.cancel, "cancel");
    const form = h(
      "form",
      { class: "webhook-form admin-card", novalidate: true },
      h("div", { class: "row" }, field(w.url, url), field(w.kind, kind), field(w.description, note)),
      events,
      problem,
      h("div", { class: "row" }, create, cancel),
    );
    cancel.addEventListener("click", () => this.dialog.close());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const chosen = ticked(events);
      const why = subscriptionProblem(url.value, chosen);
      problem.textContent = why ? (w.problems[why] ?? "") : "";
      if (why) return (why === "url" ? url : events.querySelector("input"))?.focus();
      void busy(create, () => adminApi.createWebhook(subscriptionBody(url.value, kind.value, chosen, note.value))).then((r) => {
        if (!r) return;
        if (!r.ok) {
          problem.textContent = webhookErrorText(w, r);
          return;
        }
        form.reset();
        this.dialog.close();
        this.showSecret(r.secret);
        this.status.say(w.createdNew(r.webhook.url));
        void this.load();
      });
    });
    return form;
  }

  /** The secret, this once, with a copy button; gone when dismissed or the page is left. */
  private showSecret(secret: string): void {
    const w = this.t.webhooks;
    const value = h("code", { class: "secret", "data-secret": "" }, secret);
    const copy = button(w.copy, "copy-secret", { class: "primary" });
    const done = button(w.done, "dismiss-secret");
    const said = h("span", { class: "meta", role: "status", "aria-live": "polite" });
    copy.addEventListener("click", () => {
      navigator.clipboard
        .writeText(secret)
        .then(() => (said.textContent = w.copied))
        .catch(() => {
          // Without clipboard access the secret is selected for Ctrl+C.
          const range = document.createRange();
          range.selectNodeContents(value);
          getSelection()?.removeAllRanges();
          getSelection()?.addRange(range);
          said.textContent = w.copyFailed;
        });
    });
    const hide = () => {
      this.secret.hidden = true;
      this.secret.replaceChildren();
      this.status.element.focus();
    };
    done.addEventListener("click", hide);
    this.secret.replaceChildren(h("h4", {}, w.secretTitle), h("p", { class: "once" }, w.secretOnce), h("div", { class: "row" }, value, copy, done, said));
    this.secret.hidden = false;
    copy.focus();
  }

  private row(x: Webhook): HTMLTableRowElement {
    const w = this.t.webhooks;
    const fixed = x.source !== "admin";
    const actions = h("td", { class: "actions" });
    const tr = h(
      "tr",
      { "data-webhook-id": x.id, "data-active": String(x.active) },
      h("td", { class: "text" }, x.url, x.description ? h("div", { class: "meta" }, x.description) : null, fixed ? h("span", { class: "tag" }, w.fromSetting) : null),
      h("td", {}, w.kinds[x.kind] ?? x.kind),
      h("td", { class: "events" }, x.events.join(", ") || DASH),
      h("td", {}, h("span", { class: x.active ? "tag active-tag" : "tag" }, x.active ? w.on : w.off)),
      h("td", {}, h("time", { datetime: x.created_at }, when(x.created_at, this.locale))),
      actions,
    );
    if (!fixed) actions.append(this.editButton(x, tr), " ", this.deleteControls(x));
    return tr;
  }

  /** Edit opens a row under the subscription: its events and active, Save or Cancel. */
  private editButton(x: Webhook, tr: HTMLTableRowElement): HTMLButtonElement {
    const w = this.t.webhooks;
    const edit = button(w.edit, "edit-webhook", { "aria-label": w.editOf(x.url), "aria-expanded": "false" });
    edit.addEventListener("click", () => {
      const open = tr.nextElementSibling?.classList.contains("webhook-edit");
      if (open) return (tr.nextElementSibling as HTMLElement).querySelector<HTMLElement>("[data-action=cancel]")?.click();
      const events = eventBoxes(this.t, `event-${x.id}`, x.events);
      const active = h("input", { type: "checkbox", name: "active", checked: x.active });
      const problem = h("p", { class: "admin-error", role: "alert" });
      const save = button(w.save, "save-webhook", { class: "primary" });
      const cancel = button(w.cancel, "cancel");
      const editor = h(
        "tr",
        { class: "webhook-edit" },
        h("td", { colspan: "6" }, events, h("label", { class: "check" }, active, " ", w.active), problem, h("div", { class: "row" }, save, cancel)),
      );
      const close = () => {
        editor.remove();
        edit.setAttribute("aria-expanded", "false");
        edit.focus();
      };
      cancel.addEventListener("click", close);
      onEscape(editor, close);
      save.addEventListener("click", () => {
        const chosen = ticked(events);
        if (chosen.length === 0) {
          problem.textContent = w.problems.events ?? "";
          return;
        }
        void busy(save, () => adminApi.updateWebhook(x.id, { events: chosen, active: active.checked })).then((r) => {
          if (!r) return;
          if (!r.ok) {
            problem.textContent = webhookErrorText(w, r);
            return;
          }
          this.status.say(w.saved);
          void this.load().then(() => this.body.querySelector<HTMLElement>(`tr[data-webhook-id="${CSS.escape(x.id)}"] [data-action=edit-webhook]`)?.focus());
        });
      });
      tr.after(editor);
      edit.setAttribute("aria-expanded", "true");
      events.querySelector("input")?.focus();
    });
    return edit;
  }

  private deleteControls(x: Webhook): HTMLElement {
    const w = this.t.webhooks;
    const ask = button(w.remove, "delete-webhook", { class: "danger", "aria-label": w.removeOf(x.url) });
    const yes = button(w.remove, "confirm-delete", { class: "danger" });
    const no = button(w.cancel, "cancel");
    const confirm = askFirst(ask, w.confirmRemove(x.url), yes, no, () => {
      void busy(yes, () => adminApi.deleteWebhook(x.id)).then((r) => {
        if (!r) return;
        if (!r.ok) return this.status.say(webhookErrorText(w, r), true);
        this.status.say(w.removed(x.url));
        this.status.element.focus();
        void this.load();
      });
    });
    return h("span", { class: "delete-webhook" }, ask, confirm);
  }
}
