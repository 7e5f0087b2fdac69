// A conversation's tags: chips with a remove button each and a small form to
// add one. Changes go to the gateway (POST/DELETE /api/conversations/{id}/tags),
// which answers with the tags as they are now; the same list also arrives as a
// `tags` event on the socket, so every console showing the chat agrees.

import { h } from "../shared/dom";
import { api } from "./api";
import { type ConsoleStrings, errorText } from "./i18n";

/** The gateway's rule (after trimming and lower-casing), checked here to say why at once. */
const TAG = /^[\p{L}\p{N}\p{M}_-]{1,32}$/u;

export class TagEditor {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly error: HTMLElement;
  private tags: string[] = [];

  /** `conversationId` names the conversation; `changed` hears the tags the gateway answered with. */
  constructor(
    private readonly t: ConsoleStrings,
    private readonly conversationId: string,
    private readonly changed: (tags: string[]) => void = () => undefined,
  ) {
    this.list = h("ul", { class: "tag-list", "aria-label": t.tags.label });
    this.input = h("input", { type: "text", name: "tag", maxlength: "32", placeholder: t.tags.placeholder, "aria-label": t.tags.add, autocomplete: "off" });
    this.error = h("span", { class: "tag-error", role: "alert", hidden: true });
    const form = h("form", { class: "tag-form" }, this.input, h("button", { type: "submit" }, t.tags.add));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.add(this.input.value);
    });
    this.element = h("div", { class: "tags", "data-conversation": conversationId }, this.list, form, this.error);
  }

  /** Shows ``tags`` (from the gateway); unchanged lists are not rebuilt. */
  set(tags: readonly string[]): void {
    if (tags.join("\u0000") === this.tags.join("\u0000") && this.list.childElementCount === tags.length) return;
    this.tags = [...tags];
    this.list.replaceChildren(
      ...this.tags.map((tag) => {
        const remove = h("button", { type: "button", class: "tag-remove", "aria-label": this.t.tags.remove(tag), title: this.t.tags.remove(tag) }, "×");
        remove.addEventListener("click", () => void this.remove(tag));
        return h("li", { class: "tag", "data-tag": tag }, h("span", {}, tag), remove);
      }),
    );
  }

  private async add(raw: string): Promise<void> {
    const tag = raw.trim().toLowerCase();
    if (!TAG.test(tag)) {
      this.say(this.t.tags.bad);
      return;
    }
    const r = await api.addTag(this.conversationId, tag);
    if (!r.ok) {
      this.say(this.t.refused + errorText(this.t, r));
      return;
    }
    this.input.value = "";
    this.done(r.tags);
  }

  private async remove(tag: string): Promise<void> {
    const r = await api.removeTag(this.conversationId, tag);
    if (!r.ok) {
      this.say(this.t.refused + errorText(this.t, r));
      return;
    }
    this.done(r.tags);
    this.input.focus();
  }

  private done(tags: string[]): void {
    this.error.hidden = true;
    this.set(tags);
    this.changed(tags);
  }

  private say(text: string): void {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}
