// Small DOM pieces the admin tabs share: a status line, buttons with a
// data-action hook, labelled fields, tables, and inline forms that Esc closes.

import { h } from "../../shared/dom";

type Child = Node | string | null | undefined | false;

export function button(text: string, action: string, attrs: Record<string, string | boolean | undefined> = {}): HTMLButtonElement {
  return h("button", { type: "button", "data-action": action, ...attrs }, text);
}

/** A polite status line; `bad` turns it into the error colour. */
export class Status {
  readonly element = h("p", { class: "admin-status", role: "status", "aria-live": "polite", tabindex: "-1" });

  say(text: string, bad = false): void {
    this.element.textContent = text;
    this.element.classList.toggle("bad", bad);
  }

  clear(): void {
    this.say("");
  }
}

export function field(label: string, control: HTMLElement, ...more: Child[]): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), control, ...more);
}

export function table(head: string[], rows: HTMLTableRowElement[], attrs: Record<string, string> = {}): HTMLTableElement {
  return h(
    "table",
    { class: "admin-table", ...attrs },
    h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, ...rows),
  );
}

export function row(cells: (Child | Child[])[], attrs: Record<string, string | boolean | undefined> = {}): HTMLTableRowElement {
  return h("tr", attrs, ...cells.map((c) => (Array.isArray(c) ? h("td", {}, ...c) : h("td", {}, c))));
}

/**
 * Makes `panel` an inline form opened by `opener`: opening focuses its first
 * field, Esc or `close()` hides it and gives focus back to the opener.
 */
export function disclosure(opener: HTMLButtonElement, panel: HTMLElement): { open(): void; close(): void } {
  panel.hidden = true;
  opener.setAttribute("aria-expanded", "false");
  const open = () => {
    panel.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    panel.querySelector<HTMLElement>("input, textarea, select, button")?.focus();
  };
  const close = () => {
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    if (hadFocus) opener.focus();
  };
  opener.addEventListener("click", () => (panel.hidden ? open() : close()));
  onEscape(panel, close);
  return { open, close };
}

export function onEscape(el: HTMLElement, close: () => void): void {
  el.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || e.isComposing) return;
    e.preventDefault();
    e.stopPropagation();
    close();
  });
}

/**
 * Runs `work` unless `btn` is already running one, so a double click sends
 * once. The button is marked aria-disabled, not disabled: a disabled button
 * would throw the keyboard focus back to the page.
 */
export async function busy<T>(btn: HTMLButtonElement, work: () => Promise<T>): Promise<T | undefined> {
  if (btn.getAttribute("aria-disabled") === "true") return undefined;
  btn.setAttribute("aria-disabled", "true");
  try {
    return await work();
  } finally {
    btn.removeAttribute("aria-disabled");
  }
}

/**
 * A destructive button that asks first: `ask` is replaced by `question` with
 * `yes` and `no` (Escape or `no` puts `ask` back and focuses it). A click on
 * `yes` runs `onYes`, which owns the request (wrap it in `busy`).
 */
export function askFirst(ask: HTMLButtonElement, question: string, yes: HTMLButtonElement, no: HTMLButtonElement, onYes: () => void): HTMLElement {
  const confirm = h("span", { class: "confirm", role: "group", hidden: true }, question, " ", yes, " ", no);
  const close = () => {
    confirm.hidden = true;
    ask.hidden = false;
    ask.focus();
  };
  ask.addEventListener("click", () => {
    ask.hidden = true;
    confirm.hidden = false;
    no.focus();
  });
  no.addEventListener("click", close);
  onEscape(confirm, close);
  yes.addEventListener("click", onYes);
  return confirm;
}

export function localeSelect(label: string, langs: Record<string, string>, value = "ja"): HTMLSelectElement {
  const sel = h("select", { "aria-label": label, name: "locale" }, ...Object.keys(langs).map((l) => h("option", { value: l }, langs[l] ?? l)));
  sel.value = value;
  return sel;
}
