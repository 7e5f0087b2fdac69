// The Reports page's controls: the range (today, 7 days, 30 days, or two
// dates), the filters (team, agent, intent, language) and the CSV link for
// exactly what is shown. A change calls `changed`; the custom dates apply on
// their Show button (or Enter).

import { h } from "../../shared/dom";
import { field } from "../admin/ui";
import type { ReportContext } from "./context";
import type { Filters } from "./query";
import { RANGES, type RangeKind, addDays } from "./range";

export interface ControlState {
  kind: RangeKind;
  custom: { from: string; to: string };
  filters: Filters;
}

type FilterKey = keyof Filters;
const FILTERS: readonly FilterKey[] = ["team", "agent", "intent", "locale"];

export class Controls {
  readonly element: HTMLElement;
  readonly csv: HTMLAnchorElement;
  private kind: RangeKind = "7d";
  private readonly buttons = new Map<RangeKind, HTMLButtonElement>();
  private readonly form: HTMLFormElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly selects = new Map<FilterKey, HTMLSelectElement>();
  /** Options seen so far, kept when a filtered report no longer lists them. */
  private readonly known = new Map<FilterKey, Map<string, string>>();

  constructor(private readonly c: ReportContext, today: string, changed: () => void) {
    const t = c.t;
    const group = h("div", { class: "ranges", role: "group", "aria-label": t.range });
    for (const kind of RANGES) {
      const b = h("button", { type: "button", "data-range": kind, "aria-pressed": "false" }, t.ranges[kind] ?? kind);
      b.addEventListener("click", () => {
        this.kind = kind;
        this.render();
        if (kind === "custom") this.from.focus();
        else changed();
      });
      this.buttons.set(kind, b);
      group.append(b);
    }
    this.from = h("input", { type: "date", name: "from", required: true, value: addDays(today, -6), max: today });
    this.to = h("input", { type: "date", name: "to", required: true, value: today, max: today });
    this.form = h("form", { class: "custom-range", "data-range-form": "custom" }, field(t.from, this.from), field(t.to, this.to), h("button", { type: "submit", class: "primary", "data-action": "apply" }, t.apply));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      changed();
    });
    const filters = h("div", { class: "filters", role: "group", "aria-label": t.filters });
    for (const key of FILTERS) {
      const sel = h("select", { name: key, "data-filter": key }, h("option", { value: "" }, t.all));
      sel.addEventListener("change", changed);
      this.selects.set(key, sel);
      this.known.set(key, new Map());
      filters.append(field(t[key], sel));
    }
    this.setOptions("locale", Object.entries(t.langs));
    this.csv = h("a", { class: "csv", "data-action": "csv", download: "", href: "#" }, t.csv);
    this.element = h("div", { class: "report-controls" }, h("div", { class: "row" }, group, this.form), h("div", { class: "row" }, filters, this.csv));
    this.render();
  }

  state(): ControlState {
    const filters = Object.fromEntries(FILTERS.map((k) => [k, this.selects.get(k)!.value])) as unknown as Filters;
    return { kind: this.kind, custom: { from: this.from.value, to: this.to.value }, filters };
  }

  /** Adds options (value, label) to a filter; the chosen value stays chosen. */
  setOptions(key: FilterKey, options: [string, string][]): void {
    const known = this.known.get(key)!;
    for (const [value, label] of options) if (value) known.set(value, label);
    const sel = this.selects.get(key)!;
    const chosen = sel.value;
    const sorted = [...known].sort((a, b) => a[1].localeCompare(b[1], this.c.locale));
    sel.replaceChildren(h("option", { value: "" }, this.c.t.all), ...sorted.map(([v, label]) => h("option", { value: v }, label)));
    sel.value = chosen;
  }

  private render(): void {
    for (const [kind, b] of this.buttons) b.setAttribute("aria-pressed", String(kind === this.kind));
    this.form.hidden = this.kind !== "custom";
  }
}
