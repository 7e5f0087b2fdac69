// The Admin section's Webhooks tab (issue 15): subscriptions above, their
// delivery log below. Admins only: the section itself is built only for
// them, and the gateway answers 403 to anyone else.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { WebhookLog } from "./webhook-log";
import { WebhookSubscriptions } from "./webhook-subscriptions";

export class WebhooksPanel {
  readonly element: HTMLElement;
  private readonly subscriptions: WebhookSubscriptions;
  private readonly log: WebhookLog;

  constructor(t: ConsoleStrings, locale: string) {
    const w = t.webhooks;
    this.log = new WebhookLog(t, locale);
    this.subscriptions = new WebhookSubscriptions(t, locale, (items) => this.log.setSubscriptions(items));
    this.element = h(
      "div",
      { class: "admin-webhooks" },
      h("p", { class: "intro" }, w.intro),
      h("h3", {}, w.subscriptions),
      this.subscriptions.element,
      h("h3", {}, w.log),
      this.log.element,
    );
  }

  show(): void {
    void this.subscriptions.load();
    this.log.show();
  }

  hide(): void {
    this.log.hide();
  }
}
