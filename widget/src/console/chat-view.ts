// One chat panel: who the visitor is (context, one line until opened, so
// the transcript keeps the room), what they and the bot said, the agent's
// tools (transfer, hand back, end with a resolution — asked in a dialog
// first, since it cannot be undone) and the composer. It renders a Chat and
// reports the agent's actions; it holds no state that the server does not
// also have.

import { h } from "../shared/dom";
import { asLocale, type Locale } from "../shared/i18n";
import type { Ack, Message } from "../shared/protocol";
import { formatTime, renderText } from "../shared/render";
import type { Chat } from "./chat";
import { Composer, type ComposerHooks } from "./composer";
import { agentStatusText, type ConsoleStrings, errorText } from "./i18n";
import { TagEditor } from "./tags";
import { TranscriptView } from "./transcript-view";
import type { AgentRow, EarlierConversation } from "./types";

export interface ChatActions extends Omit<ComposerHooks, "locale" | "placeholders"> {
  agentName(): string;
  transferTargets(): Promise<AgentRow[]>;
  transfer(target: { to_agent_id?: string; to_team?: string }): Promise<Outcome>;
  handback(): Promise<Outcome>;
  close(resolution: string): Promise<Outcome>;
  /** The agent looked at or typed in this chat. */
  seen(): void;
  /** Messages of one of the visitor's earlier conversations. */
  history(conversationId: string): Promise<Ack<{ messages: Message[] }>>;
  /** Opens the visitor's profile (the inbox's panel). */
  profile?(visitorId: string): void;
}

/** An action's ack: on refusal, the code is what the agent is shown (translated). */
type Outcome = { ok: boolean; error?: string; message?: string };

/** The most characters of a first message a tab shows. */
const TAB_TEXT_MAX = 28;

/**
 * The language the visitor writes: the conversation's (the gateway follows
 * what they write), else their record's; null when neither is ja or en.
 */
export function visitorLocale(chat: Chat): Locale | null {
  return asLocale(chat.conversation.locale) ?? asLocale(chat.visitor?.locale);
}

/** How the console names a visitor: their name, the site's customer id, else a short visitor id. */
export function visitorLabel(chat: Chat, t: ConsoleStrings): string {
  const v = chat.visitor;
  if (v?.name) return v.name;
  if (v?.user_id) return v.user_id;
  return t.visitorLabel((v?.id ?? chat.id).slice(-6));
}

/**
 * A tab's name: the visitor's name (pre-chat form, signed identity), the
 * customer id when the site vouched for one, else the first words of what
 * the visitor first wrote (what the chat is about tells chats apart better
 * than a random id), else the short visitor id.
 */
export function tabLabel(chat: Chat, t: ConsoleStrings): string {
  if (chat.visitor?.name) return chat.visitor.name;
  if (chat.visitor?.user_id) return chat.visitor.user_id;
  const first = chat.messages().find((m) => m.sender === "visitor" && m.text.trim());
  return first ? firstWords(first.text) : visitorLabel(chat, t);
}

/** Text cut at a word boundary when there is one (Japanese has none: cut anywhere). */
export function firstWords(text: string, max = TAB_TEXT_MAX): string {
  const flat = Array.from(text.replace(/\s+/gu, " ").trim());
  if (flat.length <= max) return flat.join("");
  const cut = flat.slice(0, max).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** A page address without its scheme and query, for the one-line summary. */
function shortPage(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.host + (u.pathname === "/" ? "" : u.pathname);
  } catch {
    return url;
  }
}

function when(iso: string | null | undefined, locale: string): string {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "—";
}

export class ChatView {
  readonly element: HTMLElement;
  readonly composer: Composer;
  private readonly transcript: TranscriptView;
  private readonly title: HTMLElement;
  private readonly count: HTMLElement;
  /** Whether the visitor is still there (online, idle, left), as the gateway last said. */
  private readonly presence: HTMLElement;
  private readonly lang: HTMLElement;
  private readonly context: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly earlier: HTMLElement;
  private readonly tagEditor: TagEditor;
  private readonly typing: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly transferForm: HTMLFormElement;
  private readonly transferSelect: HTMLSelectElement;
  private readonly closeDialog: HTMLDialogElement;
  private readonly closeQuestion: HTMLElement;
  private readonly resolution: HTMLSelectElement;
  /** Where focus was when the end-chat dialog opened, to go back there on cancel. */
  private returnFocus: HTMLElement | null = null;

  constructor(
    private readonly chat: Chat,
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    myId: string,
    private readonly actions: ChatActions,
  ) {
    const id = `chat-${chat.id}`;
    this.title = h("span", { class: "who" });
    this.count = h("span", { class: "count", hidden: true });
    this.presence = h("span", { class: "visitor-presence", hidden: true });
    this.lang = h("abbr", { class: "lang-badge", hidden: true });
    this.context = h("dl", { class: "context" });
    this.facts = h("span", { class: "visitor-facts" });
    this.earlier = h("div", { class: "earlier" });
    this.alert = h("div", { class: "error", role: "alert", hidden: true });
    this.tagEditor = new TagEditor(t, chat.id, (tags) => {
      chat.tags = tags;
      this.render();
    });
    const profileBtn = actions.profile ? h("button", { type: "button", class: "profile", "data-action": "profile" }, t.inbox.profile) : null;
    profileBtn?.addEventListener("click", () => {
      if (chat.visitor) actions.profile?.(chat.visitor.id);
    });

    const transferBtn = h("button", { type: "button", class: "transfer" }, t.transfer);
    this.transferSelect = h("select", { "aria-label": t.transferTo, name: "target" });
    this.transferForm = h(
      "form",
      { class: "transfer-form", hidden: true },
      this.transferSelect,
      h("button", { type: "submit" }, t.confirm),
      h("button", { type: "button", class: "cancel" }, t.cancel),
    );
    const handbackBtn = h("button", { type: "button", class: "handback" }, t.handback);
    const closeBtn = h("button", { type: "button", class: "close danger" }, t.close);
    this.resolution = h(
      "select",
      { "aria-label": t.resolution, name: "resolution" },
      ...Object.entries(t.resolutions).map(([value, label]) => h("option", { value }, label)),
    );
    this.closeQuestion = h("p", { class: "question", id: `${id}-end-q` });
    this.closeDialog = this.buildCloseDialog(id);
    const tools = h("div", { class: "actions" }, transferBtn, handbackBtn, closeBtn, this.transferForm);

    this.transcript = new TranscriptView(t, locale, myId, t.chatWith(visitorLabel(chat, t)));
    this.typing = h("div", { class: "typing", "aria-live": "polite" });
    this.composer = new Composer(
      t,
      {
        ...actions,
        placeholders: () => ({ agent_name: actions.agentName(), visitor_name: null, locale: visitorLocale(chat) ?? locale }),
        locale: () => visitorLocale(chat),
      },
      id,
    );
    this.element = h(
      "section",
      { class: "chat", id, "data-conversation": chat.id, "aria-labelledby": `${id}-title` },
      h(
        "header",
        {},
        h("div", { class: "head-row" }, h("h2", { id: `${id}-title` }, this.title, this.lang, this.presence, this.count), tools),
        h("details", { class: "visitor-details" }, h("summary", {}, h("span", { class: "label" }, t.visitorDetails), " ", this.facts), this.context, this.tagEditor.element, profileBtn),
        this.earlier,
        this.alert,
      ),
      this.transcript.element,
      this.typing,
      this.composer.element,
      this.closeDialog,
    );

    transferBtn.addEventListener("click", () => void this.openTransfer());
    this.transferForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const [kind, value] = this.transferSelect.value.split(":", 2);
      if (!value) return;
      void this.run(actions.transfer(kind === "team" ? { to_team: value } : { to_agent_id: value }));
    });
    handbackBtn.addEventListener("click", () => void this.run(actions.handback()));
    closeBtn.addEventListener("click", () => this.openClose());
    this.transferForm.querySelector(".cancel")?.addEventListener("click", () => {
      this.transferForm.hidden = true;
      this.composer.focus();
    });
    // Looking at a chat (focus or click inside it) clears its unread count.
    this.element.addEventListener("focusin", () => actions.seen());
    this.element.addEventListener("pointerdown", () => actions.seen());
    this.render();
  }

  get id(): string {
    return this.chat.id;
  }

  /** Shows the newest message (once the panel is in the page and has a height). */
  scrollToEnd(): void {
    this.transcript.scrollToEnd();
  }

  /**
   * Asks before ending the chat (the button, or Alt+K): a modal dialog
   * naming the visitor, with the resolution list focused. Cancel or Escape
   * leaves the chat open and focus where it was.
   */
  openClose(): void {
    this.transferForm.hidden = true;
    if (this.closeDialog.open) return;
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.closeQuestion.textContent = this.t.endQuestion(visitorLabel(this.chat, this.t));
    this.closeDialog.showModal();
    this.resolution.focus();
  }

  private buildCloseDialog(id: string): HTMLDialogElement {
    const { t } = this;
    const submit = h("button", { type: "submit", class: "danger" }, t.close);
    const cancel = h("button", { type: "button", class: "cancel" }, t.cancel);
    const form = h(
      "form",
      { class: "close-form" },
      this.closeQuestion,
      h("p", { class: "detail", id: `${id}-end-d` }, t.endDetail),
      this.resolution,
      h("div", { class: "buttons" }, submit, cancel),
    );
    // alertdialog: it interrupts to confirm something that cannot be undone.
    const dialog = h("dialog", { class: "close-dialog", role: "alertdialog", "aria-labelledby": `${id}-end-q`, "aria-describedby": `${id}-end-d` }, form);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit.disabled = true; // one close, however impatient the clicks
      void this.run(this.actions.close(this.resolution.value)).finally(() => (submit.disabled = false));
    });
    cancel.addEventListener("click", () => dialog.close());
    // Escape closes a modal dialog by itself; either way focus goes back.
    dialog.addEventListener("close", () => {
      if (this.element.isConnected) this.returnFocus?.focus();
      this.returnFocus = null;
    });
    return dialog;
  }

  private async openTransfer(): Promise<void> {
    const agents = await this.actions.transferTargets();
    const teams = [...new Set(agents.flatMap((a) => a.teams ?? []))].sort();
    const options: HTMLOptionElement[] = [];
    for (const a of agents) {
      const free = a.status === "online" && a.connected && a.load < a.capacity;
      const status = agentStatusText(this.t, a);
      const label = `${a.name} — ${a.load}/${a.capacity}, ${status}`;
      options.push(h("option", { value: `agent:${a.id}`, disabled: !free, "data-name": a.name }, label));
    }
    for (const team of teams) options.push(h("option", { value: `team:${team}` }, this.t.team(team)));
    this.transferSelect.replaceChildren(...options);
    const firstFree = options.find((o) => !o.disabled);
    if (firstFree) this.transferSelect.value = firstFree.value;
    this.transferForm.hidden = false;
    this.transferSelect.focus();
  }

  private async run(p: Promise<Outcome>): Promise<void> {
    const ack = await p;
    if (ack.ok) this.transferForm.hidden = true;
    if (this.closeDialog.open) this.closeDialog.close();
    this.alert.hidden = ack.ok;
    if (!ack.ok) this.alert.textContent = this.t.refused + errorText(this.t, ack);
  }

  setActive(active: boolean): void {
    this.element.classList.toggle("active", active);
  }

  render(): void {
    const { chat, t } = this;
    this.title.textContent = visitorLabel(chat, t);
    const unread = chat.unread();
    this.count.hidden = unread === 0;
    this.count.textContent = String(unread);
    this.count.setAttribute("aria-label", t.unread(unread));
    this.renderLanguage();
    this.element.classList.toggle("fresh", chat.fresh);
    const presence = chat.visitor?.presence;
    this.presence.hidden = !presence;
    if (presence && this.presence.dataset.presence !== presence) {
      this.presence.dataset.presence = presence;
      // Short beside the name (three chats side by side at 1366 px); whole on hover.
      this.presence.textContent = t.visitorPresenceShort[presence] ?? presence;
      this.presence.title = t.visitorPresence[presence] ?? presence;
    }
    this.renderContext();
    this.transcript.update(chat);
    this.typing.textContent = chat.visitorTyping ? t.typing : "";
  }

  /** "EN" / "JA" beside the visitor's name: which language to answer in, live. */
  private renderLanguage(): void {
    const lang = visitorLocale(this.chat);
    this.lang.hidden = lang === null;
    if (lang === null || this.lang.dataset.locale === lang) return;
    this.lang.dataset.locale = lang;
    this.lang.textContent = lang.toUpperCase();
    this.lang.title = this.t.visitorLanguage(this.t.languageNames[lang]);
  }

  private renderContext(): void {
    const { chat, t, locale } = this;
    const v = chat.visitor;
    const waited = chat.waitedSeconds();
    const waitedText = waited === null ? t.waitedUnknown : `${t.seconds(waited.seconds)}${waited.estimated ? ` ${t.estimated}` : ""}`;
    const rows: [string, Node | string][] = [];
    if (v?.name) rows.push([t.visitorName, v.identified ? `${v.name} ${t.verified}` : v.name]);
    if (v?.email) rows.push([t.visitorEmail, v.email]);
    if (v?.user_id) rows.push([t.userId, v.user_id]);
    const past = v?.past_conversations ?? v?.earlier?.length ?? 0;
    const returning = v?.returning || past > 0 ? t.returning(past) : null;
    if (returning) rows.push([t.visitorKind, returning]);
    if (v?.page_url) rows.push([t.page, renderText(document, v.page_url)]);
    const lang = visitorLocale(chat);
    rows.push([t.locale, lang ? t.languageNames[lang] : (v?.locale ?? "—")]);
    rows.push([t.firstSeen, when(v?.first_seen, locale)]);
    rows.push([t.started, when(chat.conversation.created_at, locale)]);
    rows.push([t.waited, waitedText]);
    // The collapsed line: what tells this visitor apart at a glance.
    const tags = chat.tags.map((x) => `#${x}`).join(" ");
    this.facts.textContent = [returning, lang ?? v?.locale, shortPage(v?.page_url), waited === null ? null : t.waitedShort(waitedText), tags].filter(Boolean).join(" · ");
    this.tagEditor.set(chat.tags);
    const earlier = v?.earlier;
    if (!earlier) rows.push([t.earlier, t.earlierMissing]);
    else if (earlier.length === 0) rows.push([t.earlier, t.earlierNone]);
    this.renderEarlier(earlier ?? []);
    const key = JSON.stringify(rows.map(([k, v]) => [k, typeof v === "string" ? v : (v.textContent ?? "")]));
    if (this.context.dataset.key === key) return;
    this.context.dataset.key = key;
    this.context.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  }

  /**
   * The visitor's earlier conversations, each a disclosure whose transcript
   * is fetched (read-only) the first time it is opened. Rebuilt only when the
   * list changes, so an open one stays open while the chat goes on.
   */
  private renderEarlier(list: readonly EarlierConversation[]): void {
    const key = list.map((c) => c.id).join(",");
    if (this.earlier.dataset.key === key) return;
    this.earlier.dataset.key = key;
    this.earlier.hidden = list.length === 0;
    const { t, locale } = this;
    const items = list.map((c) => {
      const state = t.states[c.state] ?? c.state;
      const label = t.earlierSummary(when(c.created_at, locale), c.resolution ? `${state} (${c.resolution})` : state, c.last_seq);
      const body = h("div", { class: "earlier-log" }, t.loading);
      const details = h("details", { "data-conversation": c.id }, h("summary", {}, label), body);
      let loaded = false;
      details.addEventListener("toggle", () => {
        if (!details.open || loaded) return;
        loaded = true;
        void this.actions.history(c.id).then((ack) => {
          if (!ack.ok) {
            loaded = false;
            body.textContent = t.refused + errorText(t, ack);
            return;
          }
          body.replaceChildren(
            ...ack.messages.map((m) => {
              const who = m.sender === "visitor" ? t.visitor : m.sender === "bot" ? t.bot : m.sender === "agent" ? (m.author?.name ?? "") : t.system;
              const text = h("span", { class: "msg-bubble" });
              text.append(renderText(document, m.text));
              return h("div", { class: "earlier-msg", "data-sender": m.sender, "data-seq": String(m.seq) }, h("span", { class: "msg-author" }, `${formatTime(m.ts, locale)} ${who}: `), text);
            }),
          );
        });
      });
      return details;
    });
    this.earlier.replaceChildren(h("div", { class: "earlier-title" }, t.earlier), ...items);
  }
}
