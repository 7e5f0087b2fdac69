// The Admin section that takes the place of the chat grid for admins: five
// tabs (inbox, intents, training, audit, webhooks) in the WAI-ARIA tabs pattern —
// arrow keys, Home and End move between tabs, Tab goes into the panel. A
// panel loads when shown and stops its polling when hidden.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { AuditPanel } from "./audit-view";
import { InboxPanel } from "./inbox-view";
import { IntentsPanel } from "./intents-view";
import { TrainingPanel } from "./training-view";
import { button } from "./ui";
import { WebhooksPanel } from "./webhooks-view";

export interface AdminPanel {
  readonly element: HTMLElement;
  show(): void;
  hide(): void;
}

const TABS = ["inbox", "intents", "training", "audit", "webhooks"] as const;
type TabName = (typeof TABS)[number];

export class AdminSection {
  readonly element: HTMLElement;
  private readonly tabs = new Map<TabName, HTMLButtonElement>();
  private readonly panels = new Map<TabName, AdminPanel>();
  private readonly bodies = new Map<TabName, HTMLElement>();
  private current: TabName = "inbox";
  private opened = false;

  constructor(t: ConsoleStrings, locale: string, back: () => void) {
    const a = t.admin;
    const panels: Record<TabName, AdminPanel> = {
      inbox: new InboxPanel(t, locale),
      intents: new IntentsPanel(t, locale),
      training: new TrainingPanel(t, locale),
      audit: new AuditPanel(t, locale),
      webhooks: new WebhooksPanel(t, locale),
    };
    const list = h("div", { class: "admin-tabs", role: "tablist", "aria-label": a.title });
    for (const name of TABS) {
      const tab = h(
        "button",
        { type: "button", class: "tab", role: "tab", id: `admin-tab-${name}`, "aria-controls": `admin-panel-${name}`, "data-admin-tab": name },
        a.tabs[name] ?? name,
      );
      tab.addEventListener("click", () => this.select(name));
      this.tabs.set(name, tab);
      list.append(tab);
      const panel = panels[name];
      this.panels.set(name, panel);
      this.bodies.set(
        name,
        h("div", { class: "admin-panel", role: "tabpanel", id: `admin-panel-${name}`, "aria-labelledby": `admin-tab-${name}`, "data-admin-panel": name }, panel.element),
      );
    }
    list.addEventListener("keydown", (e) => this.onKey(e));
    const backBtn = button(a.back, "back", { class: "admin-back" });
    backBtn.addEventListener("click", back);
    this.element = h(
      "section",
      { class: "admin", "aria-labelledby": "admin-title", hidden: true },
      h("div", { class: "admin-head" }, h("h2", { id: "admin-title" }, a.title), backBtn),
      list,
      ...this.bodies.values(),
    );
    this.render();
  }

  open(): void {
    this.element.hidden = false;
    this.opened = true;
    this.panels.get(this.current)?.show();
    this.tabs.get(this.current)?.focus();
  }

  close(): void {
    this.element.hidden = true;
    this.opened = false;
    this.panels.get(this.current)?.hide();
  }

  get isOpen(): boolean {
    return this.opened;
  }

  private select(name: TabName, focus = false): void {
    if (name !== this.current) {
      this.panels.get(this.current)?.hide();
      this.current = name;
      this.render();
      this.panels.get(name)?.show();
    }
    if (focus) this.tabs.get(name)?.focus();
  }

  private render(): void {
    for (const name of TABS) {
      const on = name === this.current;
      const tab = this.tabs.get(name)!;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      this.bodies.get(name)!.hidden = !on;
    }
  }

  private onKey(e: KeyboardEvent): void {
    const i = TABS.indexOf(this.current);
    const to: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 };
    const next = to[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.select(TABS[(next + TABS.length) % TABS.length]!, true);
  }
}
