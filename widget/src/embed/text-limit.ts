// The length limit of a text box, said before it bites. The gateway refuses
// texts longer than TSUNAGU_MAX_TEXT characters (`too_long`), and a
// `maxlength` attribute would cut a long paste silently instead; so the box
// takes any length, a counter shows up near the limit, and past it the
// widget refuses to send and says by how much to shorten, keeping the text.

import { h } from "../shared/dom";
import type { Locale } from "../shared/i18n";

/** The counter appears from this share of the limit on. */
const WARN_AT = 0.8;

// Widget-only strings; they would sit in shared/i18n.ts with the rest.
const texts = {
  en: {
    count: (n: string, max: string) => `${n} / ${max}`,
    tooLong: (over: string) => ` — ${over} characters too many. Shorten the message to send it.`,
  },
  ja: {
    count: (n: string, max: string) => `${n} / ${max} 文字`,
    tooLong: (over: string) => ` — ${over} 文字多すぎます。短くしてから送信してください。`,
  },
} satisfies Record<Locale, { count: (n: string, max: string) => string; tooLong: (over: string) => string }>;

/**
 * Characters as the gateway counts them: code points (an emoji is one, not
 * two UTF-16 units), without the trailing whitespace the client strips.
 */
export function countChars(text: string): number {
  return [...text.replace(/\s+$/u, "")].length;
}

export class TextLimit {
  /** Counter and reason; polite live region so the refusal is heard. */
  readonly element: HTMLElement;
  private readonly count: HTMLElement;
  private readonly reason: HTMLElement;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly max: number,
    private locale: Locale,
    id: string,
  ) {
    // The running count is for the eyes only: read out on every keystroke
    // it would drown the one sentence that matters, the reason.
    this.count = h("span", { "aria-hidden": "true" });
    this.reason = h("span", {});
    this.element = h("p", { class: "limit", id, "aria-live": "polite", hidden: true }, this.count, this.reason);
    input.setAttribute("aria-describedby", id);
    input.addEventListener("input", () => this.update());
  }

  /** Re-renders for the box's current text; true when it may be sent. */
  update(): boolean {
    const n = countChars(this.input.value);
    const over = n - this.max;
    const fmt = (x: number) => x.toLocaleString(this.locale);
    const t = texts[this.locale];
    this.element.hidden = n < this.max * WARN_AT;
    this.element.classList.toggle("over", over > 0);
    this.count.textContent = t.count(fmt(n), fmt(this.max));
    const why = over > 0 ? t.tooLong(fmt(over)) : "";
    if (this.reason.textContent !== why) this.reason.textContent = why;
    if (over > 0) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    return over <= 0;
  }

  /** The visitor's language changed: the counter and the reason speak it now. */
  setLocale(locale: Locale): void {
    this.locale = locale;
    if (!this.element.hidden) this.update();
  }

  /** Checks before a send; a refused one says its reason again (a live region only speaks changes). */
  allows(): boolean {
    if (this.update()) return true;
    const why = this.reason.textContent;
    this.reason.textContent = "";
    setTimeout(() => (this.reason.textContent = why), 100);
    return false;
  }
}
