// End-of-chat satisfaction question: five buttons (keyboard reachable, each
// with a spoken label), one answer per conversation.

import { h } from "../shared/dom";
import type { Strings } from "../shared/i18n";

export class CsatCard {
  readonly element: HTMLElement;
  private readonly question: HTMLElement;
  private readonly scores: HTMLElement;
  private readonly scale: HTMLElement;
  private readonly low: HTMLElement;
  private readonly high: HTMLElement;
  private thanked = false;

  constructor(
    private t: Strings,
    onScore: (score: number) => Promise<boolean>,
  ) {
    this.question = h("p", { id: "csat-q" }, t.csatQuestion);
    this.scores = h("div", { class: "scores", role: "group", "aria-labelledby": "csat-q" });
    for (let n = 1; n <= 5; n++) {
      const b = h("button", { type: "button", "aria-label": t.csatScore(n), "aria-pressed": "false", "data-score": String(n) }, String(n));
      b.addEventListener("click", async () => {
        this.setBusy(true);
        b.setAttribute("aria-pressed", "true");
        const ok = await onScore(n);
        if (ok) this.thank();
        else {
          b.setAttribute("aria-pressed", "false");
          this.setBusy(false);
        }
      });
      this.scores.append(b);
    }
    this.low = h("span", {}, t.csatLow);
    this.high = h("span", {}, t.csatHigh);
    this.scale = h("div", { class: "scale", "aria-hidden": "true" }, this.low, this.high);
    this.element = h("div", { class: "card csat", role: "region", "aria-label": t.csatQuestion }, this.question, this.scores, this.scale);
  }

  /** Shows the question again (a new conversation ended) or the thanks (already answered). */
  reset(answered: boolean): void {
    if (answered) return this.thank();
    this.thanked = false;
    this.question.textContent = this.t.csatQuestion;
    this.scores.hidden = false;
    this.scale.hidden = false;
    this.setBusy(false);
    for (const b of this.scores.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
  }

  /** The visitor's language changed: the same card, in it. */
  relabel(t: Strings): void {
    this.t = t;
    this.question.textContent = this.thanked ? t.csatThanks : t.csatQuestion;
    this.element.setAttribute("aria-label", t.csatQuestion);
    this.low.textContent = t.csatLow;
    this.high.textContent = t.csatHigh;
    for (const b of this.scores.querySelectorAll("button")) b.setAttribute("aria-label", t.csatScore(Number(b.dataset.score)));
  }

  focus(): void {
    this.scores.querySelector("button")?.focus();
  }

  private thank(): void {
    this.thanked = true;
    this.question.textContent = this.t.csatThanks;
    this.scores.hidden = true;
    this.scale.hidden = true;
  }

  private setBusy(busy: boolean): void {
    for (const b of this.scores.querySelectorAll("button")) b.disabled = busy;
  }
}
