// The Webhooks tab's delivery log: newest first, filtered by status and
// subscription, refreshed every few seconds while shown (deliveries move on
// their own: retries, the worker's next pass). "Details" opens one delivery
// with the exact body it posted, as text, and a Replay button that sends it
// again and opens the new delivery.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { DASH, whenSeconds } from "./format";
import type { Delivery, Webhook } from "./types";
import { STATUSES, shownState, webhookErrorText } from "./webhook-rules";
import { Status, busy, button, field, onEscape } from "./ui";

const PAGE = 50;
const POLL_MS = 2000;
const COLUMNS = 9;

export class WebhookLog {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly statusFilter: HTMLSelectElement;
  private readonly subscriptionFilter: HTMLSelectElement;
  private readonly older: HTMLButtonElement;
  private readonly detail: HTMLElement;
  private readonly status = new Status();
  private urls = new Map<string, string>();
  private last: number | null = null;
  private paged = false;
  private opened: number | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
  ) {
    const w = t.webhooks;
    this.statusFilter = h("select", { name: "status" }, h("option", { value: "" }, w.allStatuses), ...STATUSES.map((s) => h("option", { value: s }, w.states[s] ?? s)));
    this.subscriptionFilter = h("select", { name: "subscription" }, h("option", { value: "" }, w.allSubscriptions));
    for (const sel of [this.statusFilter, this.subscriptionFilter]) sel.addEventListener("change", () => void this.load(false));
    const refresh = button(w.refresh, "refresh-log");
    refresh.addEventListener("click", () => void busy(refresh, () => this.load(false)));
    this.body = h("tbody", {});
    this.older = button(w.older, "older", { hidden: true });
    this.older.addEventListener("click", () => void busy(this.older, () => this.load(true)));
    this.detail = h("section", { id: "delivery-detail", class: "delivery-detail admin-card", "aria-live": "polite", hidden: true });
    onEscape(this.detail, () => this.closeDetail());
    const head = [w.event, w.subscription, w.status, w.attempts, w.code, w.lastError, w.nextAttempt, w.finished, w.details];
    this.element = h(
      "div",
      { class: "webhook-log" },
      h("div", { class: "row toolbar" }, field(w.status, this.statusFilter), field(w.subscription, this.subscriptionFilter), refresh),
      this.status.element,
      this.detail,
      h("table", { class: "admin-table delivery-table" }, h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))), this.body),
      this.older,
    );
  }

  /** The subscriptions, for the filter and to name each delivery's by its URL. */
  setSubscriptions(items: Webhook[]): void {
    this.urls = new Map(items.map((x) => [x.id, x.url]));
    const chosen = this.subscriptionFilter.value;
    const options = items.map((x) => h("option", { value: x.id }, x.url));
    this.subscriptionFilter.replaceChildren(h("option", { value: "" }, this.t.webhooks.allSubscriptions), ...options);
    this.subscriptionFilter.value = this.urls.has(chosen) ? chosen : "";
  }

  show(): void {
    void this.load(false);
    clearInterval(this.timer);
    // Only the first page is polled: an admin reading older pages keeps them.
    this.timer = setInterval(() => {
      if (!this.paged) void this.load(false, true);
      if (this.opened !== null) void this.refreshDetail();
    }, POLL_MS);
  }

  hide(): void {
    this.seq++;
    clearInterval(this.timer);
  }

  private async load(more: boolean, quiet = false): Promise<void> {
    const seq = ++this.seq;
    const r = await adminApi.deliveries(this.subscriptionFilter.value, this.statusFilter.value, more ? this.last : null, PAGE);
    if (seq !== this.seq) return;
    if (!r.ok) return this.status.say(webhookErrorText(this.t.webhooks, r), true);
    // A re-render keeps the keyboard where it was (the same delivery's button).
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("tr[data-delivery-id]")?.dataset.deliveryId;
    const rows = r.deliveries.map((d) => this.row(d));
    if (more) this.body.append(...rows);
    else this.body.replaceChildren(...rows);
    if (!more && rows.length === 0) this.body.append(h("tr", {}, h("td", { colspan: String(COLUMNS), class: "empty" }, this.t.webhooks.logEmpty)));
    this.paged = more || (this.paged && quiet);
    this.last = r.deliveries[r.deliveries.length - 1]?.id ?? (more ? this.last : null);
    this.older.hidden = r.deliveries.length < PAGE;
    if (!quiet) this.status.clear();
    if (focused) this.body.querySelector<HTMLElement>(`tr[data-delivery-id="${focused}"] button`)?.focus();
    if (more) rows[0]?.querySelector<HTMLElement>("button")?.focus();
  }

  private row(d: Delivery): HTMLTableRowElement {
    const w = this.t.webhooks;
    const state = shownState(d);
    const open = button(w.details, "delivery-details", { "aria-label": w.detailsOf(d.id), "aria-controls": "delivery-detail" });
    open.addEventListener("click", () => {
      this.status.clear();
      void this.openDetail(d.id);
    });
    const finished = d.delivered_at ?? d.failed_at;
    return h(
      "tr",
      { "data-delivery-id": String(d.id), "data-state": state, class: d.id === this.opened ? "active" : undefined },
      h("td", {}, h("code", {}, d.event), d.replay_of !== null ? h("div", { class: "meta" }, w.replayOf(d.replay_of)) : null),
      h("td", { class: "text" }, this.urls.get(d.subscription_id) ?? d.subscription_id),
      h("td", {}, h("span", { class: `tag state-${state}` }, w.states[state] ?? state)),
      h("td", { class: "attempts" }, String(d.attempts)),
      h("td", { class: "code" }, d.status_code === null ? DASH : String(d.status_code)),
      h("td", { class: "text error" }, d.last_error ?? ""),
      h("td", {}, this.time(d.next_attempt_at)),
      h("td", {}, this.time(finished)),
      h("td", {}, open),
    );
  }

  private time(iso: string | null): HTMLElement | string {
    return iso ? h("time", { datetime: iso }, whenSeconds(iso, this.locale)) : DASH;
  }

  private async openDetail(id: number, focus = true): Promise<void> {
    this.opened = id;
    for (const tr of this.body.querySelectorAll<HTMLElement>("tr[data-delivery-id]")) tr.classList.toggle("active", tr.dataset.deliveryId === String(id));
    const r = await adminApi.delivery(id);
    if (this.opened !== id) return;
    if (!r.ok) return this.status.say(webhookErrorText(this.t.webhooks, r), true);
    this.renderDetail(r.delivery);
    if (focus) this.detail.querySelector<HTMLElement>("h4")?.focus();
  }

  private async refreshDetail(): Promise<void> {
    const id = this.opened;
    const state = this.detail.dataset.state;
    if (id === null || state === "delivered" || state === "failed") return;
    const r = await adminApi.delivery(id);
    if (r.ok && this.opened === id) this.renderDetail(r.delivery);
  }

  private renderDetail(d: Delivery): void {
    const w = this.t.webhooks;
    const state = shownState(d);
    const replay = button(w.replay, "replay", { class: "primary" });
    replay.addEventListener("click", () => {
      void busy(replay, () => adminApi.replay(d.id)).then((r) => {
        if (!r) return;
        if (!r.ok) return this.status.say(webhookErrorText(w, r), true);
        this.status.say(w.replayed(r.delivery.id));
        void this.load(false, true);
        void this.openDetail(r.delivery.id);
      });
    });
    const close = button(w.close, "close-detail");
    close.addEventListener("click", () => this.closeDetail());
    const facts: [string, Node | string][] = [
      [w.subscription, this.urls.get(d.subscription_id) ?? d.subscription_id],
      [w.status, h("span", { class: `tag state-${state}` }, w.states[state] ?? state)],
      [w.attempts, String(d.attempts)],
      [w.code, d.status_code === null ? DASH : String(d.status_code)],
      [w.lastError, d.last_error ?? DASH],
      [w.createdAt, this.time(d.created_at)],
      [w.nextAttempt, this.time(d.next_attempt_at)],
      [w.finished, this.time(d.delivered_at ?? d.failed_at)],
      // The console follows #conversation= links (the chat's tab, or the Inbox's reader).
      [w.conversation, d.conversation_id ? h("a", { href: `#conversation=${encodeURIComponent(d.conversation_id)}` }, d.conversation_id) : DASH],
    ];
    this.detail.dataset.deliveryId = String(d.id);
    this.detail.dataset.state = state;
    this.detail.replaceChildren(
      h("h4", { tabindex: "-1" }, w.delivery(d.id, d.event)),
      ...(d.replay_of !== null ? [h("p", { class: "meta" }, w.replayOf(d.replay_of))] : []),
      h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { class: "text" }, v)])),
      h("h5", {}, w.body),
      // The body quotes visitors: it is text, never markup.
      h("pre", { class: "delivery-body" }, d.body ?? ""),
      h("div", { class: "row" }, replay, close),
    );
    this.detail.hidden = false;
  }

  private closeDetail(): void {
    const id = this.opened;
    this.opened = null;
    this.detail.hidden = true;
    this.detail.replaceChildren();
    for (const tr of this.body.querySelectorAll<HTMLElement>("tr.active")) tr.classList.remove("active");
    if (id !== null) this.body.querySelector<HTMLElement>(`tr[data-delivery-id="${id}"] button`)?.focus();
  }
}
