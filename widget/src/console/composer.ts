// The composer of one chat: reply or internal note, with canned responses.
// "/" + keyword (or the 定型文/Canned button, which starts that for you)
// opens a list filtered as you type: ↑/↓ choose, Enter or Tab inserts the
// response with its placeholders filled, Escape closes the list. Enter sends
// (not while an IME is composing Japanese), Shift+Enter is a new line.
// Notes are a separate mode with their own colour and button text, so an
// agent cannot mistake one for a reply.

import { AttachButton } from "../shared/attach-button";
import type { Attachment, UploadResult } from "../shared/attachments";
import { h } from "../shared/dom";
import { fillPlaceholders, type PlaceholderValues, rankCanned, slashQuery } from "./canned";
import { type ConsoleStrings, errorText } from "./i18n";
import type { Canned } from "./types";

const TYPING_IDLE_MS = 3_000;
const MAX_SUGGESTIONS = 8;

export interface ComposerHooks {
  reply(text: string): void;
  /** Uploads a file into this chat; `sendFile` then sends it as a reply. */
  upload(file: File, onProgress: (fraction: number) => void): Promise<UploadResult>;
  sendFile(file: Attachment): void;
  note(text: string): Promise<{ ok: boolean; error?: string; message?: string }>;
  typing(on: boolean): void;
  canned(): readonly Canned[];
  placeholders(): PlaceholderValues;
  /** The visitor's language, to list canned responses in it first. */
  locale(): string | null;
}

export class Composer {
  readonly element: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  private readonly suggest: HTMLUListElement;
  private readonly error: HTMLElement;
  private readonly send: HTMLButtonElement;
  private readonly replyBtn: HTMLButtonElement;
  private readonly noteBtn: HTMLButtonElement;
  private noteMode = false;
  private matches: Canned[] = [];
  private selected = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly hooks: ComposerHooks,
    idPrefix: string,
  ) {
    this.replyBtn = h("button", { type: "button", class: "reply-mode", "aria-pressed": "true" }, t.replyMode);
    this.noteBtn = h("button", { type: "button", class: "note-mode", "aria-pressed": "false" }, t.noteMode);
    const cannedBtn = h("button", { type: "button", class: "canned-btn", "aria-haspopup": "listbox" }, t.canned);
    this.suggest = h("ul", { class: "suggest", role: "listbox", id: `${idPrefix}-canned`, "aria-label": t.canned, hidden: true });
    this.input = h("textarea", {
      rows: "2",
      maxlength: "2000",
      placeholder: t.writeReply,
      "aria-label": t.writeReply,
      "aria-autocomplete": "list",
      "aria-controls": `${idPrefix}-canned`,
    });
    this.send = h("button", { type: "submit", class: "send" }, t.send);
    const attach = new AttachButton(t, document.documentElement.lang || "en", hooks.upload, hooks.sendFile);
    this.error = h("div", { class: "error", role: "alert", hidden: true });
    this.element = h(
      "form",
      { class: "composer" },
      this.suggest,
      h("div", { class: "modes", role: "group" }, this.replyBtn, this.noteBtn, cannedBtn),
      h("div", { class: "row" }, attach.input, attach.button, this.input, this.send),
      attach.status,
      this.error,
    );

    this.replyBtn.addEventListener("click", () => this.setNoteMode(false));
    this.noteBtn.addEventListener("click", () => this.setNoteMode(true));
    cannedBtn.addEventListener("click", () => {
      if (!this.input.value.startsWith("/")) this.input.value = "/" + this.input.value.trim();
      this.input.focus();
      this.refreshSuggestions();
    });
    this.element.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("input", () => {
      this.refreshSuggestions();
      this.onTyping();
    });
    this.input.addEventListener("blur", () => {
      this.hooks.typing(false);
      // Let a click on a suggestion land before the list goes away.
      setTimeout(() => this.hideSuggestions(), 150);
    });
  }

  focus(): void {
    this.input.focus();
  }

  hasFocus(): boolean {
    return document.activeElement === this.input;
  }

  toggleMode(): void {
    this.setNoteMode(!this.noteMode);
  }

  setNoteMode(on: boolean): void {
    this.noteMode = on;
    this.element.classList.toggle("note-mode", on);
    this.replyBtn.setAttribute("aria-pressed", String(!on));
    this.noteBtn.setAttribute("aria-pressed", String(on));
    const label = on ? this.t.writeNote : this.t.writeReply;
    this.input.placeholder = label;
    this.input.setAttribute("aria-label", label);
    this.send.textContent = on ? this.t.addNote : this.t.send;
    // A note is not the visitor's business, not even "agent is typing".
    if (on) this.hooks.typing(false);
  }

  private onKey(e: KeyboardEvent): void {
    const composing = e.isComposing || e.keyCode === 229;
    if (!this.suggest.hidden && this.matches.length > 0 && !composing) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.select(this.selected + (e.key === "ArrowDown" ? 1 : -1));
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        this.insert(this.matches[this.selected]);
        return;
      }
    }
    if (e.key === "Escape" && !this.suggest.hidden) {
      e.preventDefault();
      e.stopPropagation();
      this.hideSuggestions();
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !composing) {
      e.preventDefault();
      this.submit();
    }
  }

  private onTyping(): void {
    if (this.noteMode) return;
    const on = this.input.value.trim().length > 0 && slashQuery(this.input.value) === null;
    this.hooks.typing(on);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hooks.typing(false), TYPING_IDLE_MS);
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim() || this.send.disabled) return;
    this.error.hidden = true;
    clearTimeout(this.typingTimer);
    if (!this.noteMode) {
      this.hooks.reply(text);
      this.input.value = "";
      this.hideSuggestions();
      return;
    }
    this.send.disabled = true;
    void this.hooks.note(text).then((ack) => {
      this.send.disabled = false;
      if (ack.ok) {
        this.input.value = "";
        // Back to replying: the next thing typed is most likely for the visitor,
        // and a reply sent as a note is the harmless mistake, not the reverse.
        this.setNoteMode(false);
      } else {
        this.error.textContent = this.t.refused + errorText(this.t, ack);
        this.error.hidden = false;
      }
    });
  }

  // ---- canned responses ---------------------------------------------------

  private refreshSuggestions(): void {
    const q = slashQuery(this.input.value);
    if (q === null) {
      this.hideSuggestions();
      return;
    }
    this.matches = rankCanned(this.hooks.canned(), q, this.hooks.locale()).slice(0, MAX_SUGGESTIONS);
    this.selected = 0;
    const items = this.matches.map((c, i) => {
      const li = h(
        "li",
        { role: "option", id: `${this.suggest.id}-${i}`, "data-shortcut": c.shortcut, "data-locale": c.locale },
        h("span", { class: "sc" }, `/${c.shortcut}`),
        h("span", { class: "lc" }, c.locale),
        c.title,
        h("span", { class: "tx" }, c.text),
      );
      // mousedown, not click: it fires before the textarea's blur hides the list.
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        this.insert(c);
      });
      return li;
    });
    if (items.length === 0) items.push(h("li", { role: "option", "aria-disabled": "true" }, this.t.cannedNone));
    this.suggest.replaceChildren(...items);
    this.suggest.hidden = false;
    this.select(0);
  }

  private select(i: number): void {
    if (this.matches.length === 0) return;
    this.selected = (i + this.matches.length) % this.matches.length;
    [...this.suggest.children].forEach((li, n) => li.setAttribute("aria-selected", String(n === this.selected)));
    this.input.setAttribute("aria-activedescendant", `${this.suggest.id}-${this.selected}`);
    this.suggest.children[this.selected]?.scrollIntoView({ block: "nearest" });
  }

  private insert(c: Canned | undefined): void {
    if (!c) return;
    const values = this.hooks.placeholders();
    this.input.value = fillPlaceholders(c.text, { ...values, locale: c.locale });
    this.hideSuggestions();
    this.input.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    this.onTyping();
  }

  private hideSuggestions(): void {
    this.suggest.hidden = true;
    this.matches = [];
    this.input.removeAttribute("aria-activedescendant");
  }
}
