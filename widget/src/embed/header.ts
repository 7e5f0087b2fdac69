// The panel's header: the title (or the team's name), avatars of the agents
// online now, and one line of what to expect — the usual reply time measured
// by the gateway, or when support opens again outside business hours. Every
// text is set as text; an avatar is initials on a colour the gateway derived
// from the agent's id, so nothing here ever loads a URL.

import { h } from "../shared/dom";
import type { Locale, Strings } from "../shared/i18n";
import type { SiteStatus } from "../shared/protocol";

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const MAX_AVATARS = 3;

export class Header {
  readonly element: HTMLElement;
  readonly title: HTMLElement;
  private readonly team: HTMLElement;
  private readonly avatars: HTMLElement;
  private readonly expect: HTMLElement;
  private site: SiteStatus | null = null;

  constructor(
    private t: Strings,
    private locale: Locale,
    private readonly fixedTitle: string | null,
    minimize: HTMLButtonElement,
  ) {
    this.title = h("h2", {}, fixedTitle ?? t.title);
    this.team = h("p", { class: "team", hidden: true });
    this.avatars = h("ul", { class: "avatars", "aria-label": t.onlineNow, hidden: true });
    this.expect = h("p", { class: "expect", hidden: true });
    this.element = h(
      "header",
      {},
      h("div", { class: "head-row" }, h("div", { class: "head-text" }, this.title, this.team), this.avatars, minimize),
      this.expect,
    );
  }

  render(site: SiteStatus | null): void {
    this.site = site;
    const { t } = this;
    const team = site?.team_name ?? null;
    // data-title wins; the team's name is then said under it.
    this.title.textContent = this.fixedTitle ?? team ?? t.title;
    const sub = this.fixedTitle && team && team !== this.fixedTitle ? team : "";
    this.team.textContent = sub;
    this.team.hidden = !sub;

    const agents = (site?.agents ?? []).slice(0, MAX_AVATARS);
    this.avatars.replaceChildren(
      ...agents.map((a) => {
        const dot = h("li", { class: "avatar", title: a.name ?? undefined }, String(a.initials ?? "?").slice(0, 2));
        dot.style.backgroundColor = HEX_COLOR.test(a.color) ? a.color : "#5f6b73";
        if (a.name) dot.append(h("span", { class: "sr-only" }, ` ${a.name}`));
        return dot;
      }),
    );
    this.avatars.hidden = agents.length === 0;

    const line = site ? this.expectation(site) : "";
    this.expect.textContent = line;
    this.expect.hidden = !line;
    this.element.dataset.open = site && !site.open ? "closed" : "open";
  }

  /** The visitor's language changed: the same header, in it. */
  relabel(t: Strings, locale: Locale): void {
    this.t = t;
    this.locale = locale;
    this.avatars.setAttribute("aria-label", t.onlineNow);
    this.render(this.site);
  }

  /** Closed: when it opens, in the visitor's language and time zone; else the usual reply time. */
  private expectation(site: SiteStatus): string {
    if (!site.open) {
      const at = site.opens_at ? new Date(site.opens_at) : null;
      if (!at || Number.isNaN(at.getTime())) return this.t.closedNow;
      return this.t.closedUntil(at.toLocaleString(this.locale, { weekday: "short", hour: "2-digit", minute: "2-digit" }));
    }
    return typeof site.reply_time_s === "number" ? this.t.repliesIn(site.reply_time_s) : "";
  }
}
