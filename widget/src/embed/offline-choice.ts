// "Nobody is available right now": what the visitor may do instead of
// staring at a queue nobody serves. A card in the chat (the transcript and
// the message box stay) with three choices: leave a message (opens the
// leave-a-message form), keep chatting with the assistant (`back_to_bot`),
// or wait for a person (the chat stays queued and is assigned when someone
// comes online).

import { h } from "../shared/dom";
import type { Locale, Strings } from "../shared/i18n";
import { opensAtText } from "./offline-form";

export type OfflineChoiceKind = "leave" | "bot" | "wait";

export class OfflineChoice {
  readonly element: HTMLElement;
  private readonly opens: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private readonly title: HTMLElement;
  private opensAt: string | null | undefined = null;

  constructor(
    private t: Strings,
    private locale: Locale,
    onChoose: (kind: OfflineChoiceKind) => void,
  ) {
    this.opens = h("p", { class: "opens", hidden: true });
    const choices: [OfflineChoiceKind, string][] = [
      ["leave", t.choiceLeave],
      ["bot", t.choiceBot],
      ["wait", t.choiceWait],
    ];
    this.title = h("h3", { id: "tsunagu-choices-title" }, t.offlineTitle);
    this.buttons = choices.map(([kind, label]) => {
      const b = h("button", { type: "button", "data-choice": kind }, label);
      b.addEventListener("click", () => onChoose(kind));
      return b;
    });
    this.element = h(
      "div",
      { class: "card choices", role: "group", "aria-labelledby": "tsunagu-choices-title" },
      this.title,
      this.opens,
      h("div", { class: "choice-list" }, ...this.buttons),
    );
  }

  /** Outside business hours the gateway says when it opens again. */
  setOpensAt(iso: string | null | undefined): void {
    this.opensAt = iso;
    const text = opensAtText(iso, this.locale, this.t);
    this.opens.hidden = text === null;
    this.opens.textContent = text ?? "";
  }

  /** The visitor's language changed: the same choices, in it. */
  relabel(t: Strings, locale: Locale): void {
    this.t = t;
    this.locale = locale;
    this.title.textContent = t.offlineTitle;
    const labels: Record<OfflineChoiceKind, string> = { leave: t.choiceLeave, bot: t.choiceBot, wait: t.choiceWait };
    for (const b of this.buttons) b.textContent = labels[b.dataset.choice as OfflineChoiceKind];
    this.setOpensAt(this.opensAt);
  }

  /** While a choice is being sent, the buttons wait for its answer. */
  setBusy(busy: boolean): void {
    for (const b of this.buttons) b.disabled = busy;
  }

  focus(): void {
    this.buttons[0]?.focus();
  }
}
