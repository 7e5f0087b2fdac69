// The visitor widget: a launcher and a chat panel in a shadow root, driven
// by a ChatClient. This file wires DOM events to client calls and client
// events to the DOM; delivery rules live in ../shared/client.ts.

import { ChatClient, type ConnectionState } from "../shared/client";
import { h, icon } from "../shared/dom";
import { asLocale, type Locale, strings, type Strings } from "../shared/i18n";
import type { Conversation, Message, Profile, QuickReply, SiteStatus, TypingEvent } from "../shared/protocol";
import { authorLabel } from "../shared/render";
import { AttachButton } from "../shared/attach-button";
import { local, readJson, scopedKeys, session, type StorageKeys } from "../shared/storage";
import { ActivityWatch } from "./activity";
import type { WidgetConfig } from "./config";
import { CsatCard } from "./csat";
import { TranscriptForm } from "./transcript-form";
import { Header } from "./header";
import { MessageList } from "./message-list";
import { OfflineChoice, type OfflineChoiceKind } from "./offline-choice";
import { type LeftMessage, OfflineForm, type SubmitResult } from "./offline-form";
import { PrechatForm, type PrechatAnswers, type PrechatResult } from "./prechat";
import { describe } from "./status";
import { CSS_TEXT } from "./styles";
import { TextLimit } from "./text-limit";

const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
const SEND_ICON = "M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z";
const TYPING_IDLE_MS = 3_000;
const REMOTE_TYPING_MAX_MS = 8_000;
/** While the panel is open, the header (who is online, reply time) is asked for again this often. */
const SITE_REFRESH_MS = 30_000;

export class Widget {
  private t: Strings;
  /** The language the widget shows now (the gateway's `status.locale` moves it). */
  private locale: Locale;
  private readonly keys: StorageKeys;
  private readonly client: ChatClient;
  private readonly root: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly minimize: HTMLButtonElement;
  private readonly send: HTMLButtonElement;
  private readonly badge: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly list: MessageList;
  private readonly banner: HTMLElement;
  private readonly netBanner: HTMLElement;
  private readonly alert: HTMLElement;
  private alertTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typingEl: HTMLElement;
  private readonly quick: HTMLElement;
  private readonly askHuman: HTMLButtonElement;
  private readonly endChat: HTMLButtonElement;
  private readonly tools: HTMLElement;
  private readonly csat: CsatCard;
  private readonly transcript: TranscriptForm;
  private readonly offline: OfflineForm;
  private readonly choices: OfflineChoice;
  private readonly header: Header;
  private readonly prechat: PrechatForm;
  private site: SiteStatus | null = null;
  private profile: Profile | null = null;
  private siteTimer: ReturnType<typeof setInterval> | undefined;
  /** The leave-a-message form is open (it has its own text box). */
  private offlineFormOpen = false;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly limit: TextLimit;
  private readonly attach: AttachButton;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private remoteTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private csatFor: string | null = null;
  /** The conversation the visitor closed by leaving a message: its thanks stay in view. */
  private leftMessageIn: string | null = null;
  /** What the visitor chose while nobody was available, for which conversation. */
  private chosen: { id: string; kind: "leave" | "wait" } | null = null;

  constructor(
    private readonly host: HTMLElement,
    private readonly config: WidgetConfig,
  ) {
    this.keys = scopedKeys(config.gatewayHost);
    // The language the gateway last said for this visitor (from what they
    // wrote) beats the browser's guess, unless the site pins one.
    this.locale = (!config.localeFixed && asLocale(local.get(this.keys.locale))) || config.locale;
    this.t = strings(this.locale);
    const t = this.t;
    const title = config.title ?? t.title;

    this.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    this.launcher = h("button", { type: "button", class: "launcher", "aria-label": t.open, "aria-expanded": "false", "aria-controls": "tsunagu-panel" }, icon(CHAT_ICON), this.badge);
    const minimize = h("button", { type: "button", class: "icon-btn", "aria-label": t.close }, "×");
    this.minimize = minimize;
    this.askHuman = h("button", { type: "button", class: "ask-human" }, t.talkToHuman);
    this.endChat = h("button", { type: "button", class: "end-chat" }, t.endChat);
    this.tools = h("div", { class: "tools" }, this.askHuman, this.endChat);
    this.netBanner = h("div", { class: "banner net", role: "status", hidden: true });
    this.alert = h("div", { class: "banner alert", role: "alert", hidden: true });
    this.banner = h("div", { class: "banner info state", role: "status", "aria-live": "polite", hidden: true });
    const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.messages, tabindex: "0" });
    this.list = new MessageList(log, t, this.locale, config.greeting, (id) => this.client.fileLink(id));
    this.typingEl = h("div", { class: "typing", "aria-live": "polite" });
    this.quick = h("div", { class: "quick", role: "group", "aria-label": t.quickReplies });
    this.csat = new CsatCard(t, (score) => this.sendCsat(score));
    this.csat.element.hidden = true;
    this.transcript = new TranscriptForm(t, (email) => this.emailTranscript(email));
    this.transcript.element.hidden = true;
    this.offline = new OfflineForm(t, this.locale, config.maxText, (form) => this.leaveMessage(form));
    this.offline.element.hidden = true;
    this.choices = new OfflineChoice(t, this.locale, (kind) => void this.choose(kind));
    this.choices.element.hidden = true;
    this.header = new Header(t, this.locale, config.title, minimize);
    this.prechat = new PrechatForm(t, (answers) => this.sendProfile(answers), () => this.skipPrechat());
    this.prechat.element.hidden = true;
    // No maxlength: it would cut a long paste silently. TextLimit says it instead.
    this.input = h("textarea", { class: "input", rows: "1", "aria-label": t.placeholder, placeholder: t.placeholder, enterkeyhint: "send" });
    this.limit = new TextLimit(this.input, config.maxText, this.locale, "tsunagu-limit");
    this.send = h("button", { type: "submit", class: "send", "aria-label": t.send }, icon(SEND_ICON));
    this.attach = new AttachButton(
      t,
      this.locale,
      (file, progress) => this.client.uploadFile(file, progress),
      (a) => this.client.send("", undefined, [a]),
    );
    this.composer = h("form", { class: "composer" }, this.limit.element, this.attach.status, this.attach.input, this.attach.button, this.input, this.send);
    this.panel = h(
      "section",
      { class: "panel", id: "tsunagu-panel", role: "dialog", "aria-label": title, hidden: true },
      this.header.element,
      this.tools,
      this.netBanner,
      this.alert,
      this.banner,
      log,
      this.typingEl,
      this.quick,
      this.csat.element,
      this.transcript.element,
      this.choices.element,
      this.offline.element,
      this.prechat.element,
      this.composer,
    );
    this.root = h("div", { class: `root${config.position === "bottom-left" ? " left" : ""}`, lang: this.locale }, this.panel, this.launcher);
    this.root.style.setProperty("--accent", config.color);

    const shadow = host.attachShadow({ mode: "open" });
    // A constructed stylesheet is not subject to the host page's CSP
    // style-src (a <style> element is, on sites without 'unsafe-inline').
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet.prototype.replaceSync === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS_TEXT);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS_TEXT;
      shadow.append(style);
    }
    shadow.append(this.root);

    this.client = new ChatClient({
      origin: config.origin,
      path: config.path,
      locale: this.locale,
      // Origin and path only: query strings and fragments often carry
      // tokens (password-reset links, session ids) that support must not see.
      pageUrl: location.origin + location.pathname,
      store: local,
      keys: this.keys,
      listener: {
        changed: () => this.renderMessages(),
        incoming: (m) => this.onIncoming(m),
        status: (c) => this.renderStatus(c),
        typing: (ev) => this.onRemoteTyping(ev),
        connection: (s) => this.renderConnection(s),
        session: (site, profile) => this.onSession(site, profile),
      },
      identity: config.identity,
    });

    this.launcher.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
    minimize.addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    });
    this.askHuman.addEventListener("click", () => void this.client.requestHuman().then((a) => this.report(a)));
    this.endChat.addEventListener("click", () => void this.client.closeConversation().then((a) => this.report(a)));
    this.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      // Enter while an IME is composing (Japanese kana→kanji) confirms the
      // conversion; it must not send a half-typed message.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.onLocalTyping());
    this.input.addEventListener("blur", () => this.client.setTyping(false));

    // Coming back to the tab is when the visitor sees what arrived meanwhile.
    document.addEventListener("visibilitychange", () => {
      if (this.isOpen()) this.markSeen();
    });

    this.renderMessages();
    this.renderStatus(null);
    this.client.start();
    new ActivityWatch(config.idleAfter * 1000, (idle) => this.client.setIdle(idle));
    // Keep the panel open across reloads of the same tab (sessionStorage).
    if (session.get(this.keys.open) === "1") this.open(false);
  }

  // ---- open / close ------------------------------------------------------

  isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(focus = true): void {
    this.panel.hidden = false;
    this.root.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", this.t.close);
    session.set(this.keys.open, "1");
    this.markSeen();
    this.list.scrollToEnd();
    if (focus) this.focusPrimary();
    // Who is online changes: ask again now and while the panel stays open.
    void this.refreshSite();
    clearInterval(this.siteTimer);
    this.siteTimer = setInterval(() => void this.refreshSite(), SITE_REFRESH_MS);
  }

  close(): void {
    this.panel.hidden = true;
    this.root.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    session.remove(this.keys.open);
    clearInterval(this.siteTimer);
    this.renderBadge();
    // Focus goes back where the visitor opened the chat from.
    this.launcher.focus();
  }

  private focusPrimary(): void {
    if (!this.prechat.element.hidden) this.prechat.focus();
    else if (!this.offline.element.hidden) this.offline.focus();
    else if (!this.choices.element.hidden) this.choices.focus();
    else this.input.focus();
  }

  // ---- sending -----------------------------------------------------------

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    // Over the gateway's limit: keep the text and say why, never send a cut one.
    if (!this.limit.allows()) return;
    this.client.send(text);
    this.input.value = "";
    this.limit.update();
    this.autosize();
    clearTimeout(this.typingTimer);
    this.input.focus();
  }

  private sendQuickReply(q: QuickReply): void {
    this.quick.replaceChildren();
    this.client.send(q.title, q.payload ?? undefined);
    this.input.focus();
  }

  private async leaveMessage(form: LeftMessage): Promise<SubmitResult> {
    const ack = await this.client.leaveMessage(form);
    if (!ack.ok) return { ok: false, message: ack.message || ack.error };
    this.leftMessageIn = ack.conversation?.id ?? null;
    if (ack.conversation) this.renderStatus(ack.conversation);
    return { ok: true };
  }

  // ---- header and pre-chat form -------------------------------------------

  private onSession(site: SiteStatus | null, profile: Profile | null): void {
    if (site) this.renderSite(site);
    this.profile = profile ?? { name: null, email: null, identified: !!this.config.identity };
    this.renderPrechat();
  }

  private async refreshSite(): Promise<void> {
    const ack = await this.client.site();
    if (ack.ok && ack.site) this.renderSite(ack.site);
  }

  /** The transcript form: once the chat ended, when the gateway can send e-mail. */
  private renderTranscript(c: Conversation | null): void {
    const show = !!c && c.state === "closed" && this.site?.transcript_email === true;
    if (show && c) this.transcript.reset(c.id, this.profile?.email ?? null);
    this.transcript.element.hidden = !show;
  }

  private renderSite(site: SiteStatus): void {
    this.site = site;
    this.renderTranscript(this.client.conversation ?? null);
    this.header.render(site);
    this.panel.setAttribute("aria-label", this.header.title.textContent ?? this.t.title);
    this.renderPrechat();
  }

  /**
   * The form comes before the first message only: not once the visitor has
   * written (or was asked before), not when the site vouched for them, not
   * when they already answered or skipped it.
   */
  private needsPrechat(): boolean {
    const spec = this.config.prechat ?? this.site?.prechat;
    const profile = this.profile;
    if (!spec || spec.fields.length === 0 || !profile) return false;
    if (profile.identified || this.config.identity || profile.name || profile.email) return false;
    if (local.get(this.keys.prechat) === (local.get(this.keys.visitor) ?? "")) return false;
    return this.client.conversation === null && this.client.entries().length === 0;
  }

  private renderPrechat(): void {
    const show = this.needsPrechat();
    const spec = this.config.prechat ?? this.site?.prechat;
    if (show && spec) this.prechat.configure(spec);
    const wasHidden = this.prechat.element.hidden;
    this.prechat.element.hidden = !show;
    this.renderComposer();
    if (show && wasHidden && this.isOpen()) this.prechat.focus();
  }

  private async sendProfile(answers: PrechatAnswers): Promise<PrechatResult> {
    const ack = await this.client.profile(answers);
    if (!ack.ok) return { ok: false, error: ack.error, message: ack.message };
    this.profile = ack.profile;
    // Nothing answered (all optional, all blank): counts as skipped.
    if (!ack.profile.name && !ack.profile.email) local.set(this.keys.prechat, local.get(this.keys.visitor) ?? "");
    this.renderPrechat();
    this.input.focus();
    return { ok: true };
  }

  private skipPrechat(): void {
    local.set(this.keys.prechat, local.get(this.keys.visitor) ?? "");
    this.renderPrechat();
    this.input.focus();
  }

  private renderComposer(): void {
    this.composer.hidden = this.offlineFormOpen || !this.prechat.element.hidden;
  }

  /** Nobody is available: the visitor's choice of what to do instead. */
  private async choose(kind: OfflineChoiceKind): Promise<void> {
    const c = this.client.conversation;
    if (!c) return;
    if (kind === "bot") {
      this.choices.setBusy(true);
      const ack = await this.client.backToBot();
      this.choices.setBusy(false);
      this.report(ack);
      if (ack.ok) this.input.focus();
      return;
    }
    this.chosen = { id: c.id, kind };
    if (kind === "leave") this.offline.reset();
    this.renderStatus(c);
    if (kind === "leave") this.offline.focus();
    else this.input.focus();
  }

  private async emailTranscript(email: string): Promise<{ ok: boolean; message?: string }> {
    const ack = await this.client.emailTranscript(email);
    return ack.ok ? { ok: true } : { ok: false, message: ack.message };
  }

  private async sendCsat(score: number): Promise<boolean> {
    const ack = await this.client.csat(score);
    // "conflict" means it was already answered (another tab): thank anyway.
    const ok = ack.ok || ack.error === "conflict";
    if (ok && this.csatFor) local.set(this.keys.csat, this.csatFor);
    else this.report(ack);
    return ok;
  }

  /** A refused request is said, not swallowed: the gateway's sentence, for a few seconds. */
  private report(ack: { ok: boolean; message?: string }): void {
    if (ack.ok) return;
    clearTimeout(this.alertTimer);
    this.alert.textContent = this.t.refused + (ack.message ?? "");
    this.alert.hidden = false;
    this.alertTimer = setTimeout(() => (this.alert.hidden = true), 8_000);
  }

  private onLocalTyping(): void {
    this.autosize();
    this.client.setTyping(this.input.value.trim().length > 0);
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.client.setTyping(false), TYPING_IDLE_MS);
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }

  // ---- rendering -----------------------------------------------------------

  private renderMessages(): void {
    const entries = this.client.entries();
    this.list.update(entries);
    this.renderSeen(entries);
    this.renderQuickReplies(entries);
    // The first message (from this tab or another) ends the time for the form.
    if (!this.prechat.element.hidden) this.renderPrechat();
    if (this.isOpen()) this.markSeen();
    else this.renderBadge();
  }

  /**
   * Quick replies belong to the newest message only, while it is the
   * bot's/agent's turn (nothing sent after it) and the bot still has the
   * chat: once queued, assigned or closed they would only mislead.
   */
  private renderQuickReplies(entries = this.client.entries()): void {
    const last = entries[entries.length - 1];
    const state = this.client.conversation?.state;
    const botTurn = last?.kind === "stored" && last.message.sender !== "visitor";
    const live = state === undefined || state === "bot";
    const qr = botTurn && live ? (last.message.quick_replies ?? []).filter((q) => q && typeof q.title === "string") : [];
    const forKey = `${last?.key ?? ""}|${qr.length}`;
    if (this.quick.dataset.for === forKey) return;
    this.quick.dataset.for = forKey;
    this.quick.replaceChildren(
      ...qr.map((q) => {
        const b = h("button", { type: "button" }, q.title);
        b.addEventListener("click", () => this.sendQuickReply(q));
        return b;
      }),
    );
  }

  /** "Seen" under the newest visitor message the agent has read (one line, not one per message). */
  private renderSeen(entries = this.client.entries()): void {
    const mark = this.client.agentRead();
    let key: string | null = null;
    for (const e of entries) {
      const m = e.kind === "stored" ? e.message : null;
      if (m?.sender === "visitor" && m.conversation_id === mark.conversation && m.seq <= mark.seq) key = e.key;
    }
    this.list.setSeen(key, this.t.seen);
  }

  private onIncoming(m: Message): void {
    if (m.sender === "bot" || m.sender === "agent") this.typingEl.textContent = "";
    // A Rasa assistant's custom payload is for the site's own code: the widget
    // shows nothing of it and hands it over as an event on its host element.
    if (m.sender === "bot" && m.custom && typeof m.custom === "object") {
      this.host.dispatchEvent(new CustomEvent("tsunagu:custom", { detail: m.custom, bubbles: true, composed: true }));
    }
  }

  private renderStatus(c: Conversation | null): void {
    if (c) this.follow(c.locale);
    const view = describe(c, this.t);
    const chosen = c && this.chosen?.id === c.id ? this.chosen.kind : null;
    // Nobody available: the choices, or what the visitor chose among them.
    const showChoices = view.panel === "choices" && chosen === null;
    const formOpen = view.panel === "choices" && chosen === "leave";
    if (view.panel === "choices" && chosen === "wait") view.banner = this.t.waitingOffline;
    // Leaving a message closes the wait; its thank-you stays, and the message
    // box is back at once for whatever the visitor writes next.
    const thanked = !!c && c.state === "closed" && c.id === this.leftMessageIn;
    this.banner.hidden = view.banner === null;
    if (this.banner.textContent !== (view.banner ?? "")) this.banner.textContent = view.banner ?? "";
    this.askHuman.hidden = !view.canAskHuman;
    this.endChat.hidden = !view.canEnd;
    this.tools.hidden = !view.canAskHuman && !view.canEnd;
    this.renderQuickReplies();
    this.renderSeen();
    if (this.isOpen()) this.markSeen();
    const showCsat = view.panel === "csat" && !!c;
    if (showCsat && c && this.csatFor !== c.id) {
      this.csatFor = c.id;
      this.csat.reset(local.get(this.keys.csat) === c.id);
    }
    this.csat.element.hidden = !showCsat;
    this.renderTranscript(c);
    const choicesWereHidden = this.choices.element.hidden;
    this.choices.element.hidden = !showChoices;
    if (showChoices) this.choices.setOpensAt(c?.opens_at);
    // Focus follows the card when it appears, unless the visitor is writing.
    const writing = this.host.shadowRoot?.activeElement === this.input;
    if (showChoices && choicesWereHidden && this.isOpen() && !writing) this.choices.focus();
    this.offline.element.hidden = !formOpen && !thanked;
    if (formOpen) this.offline.setOpensAt(c?.opens_at);
    // The form has its own text box: one at a time, and never hidden after sending.
    this.offlineFormOpen = formOpen;
    if (formOpen) this.prechat.element.hidden = true;
    this.renderComposer();
  }

  // ---- language ----------------------------------------------------------

  /**
   * The gateway says which language the visitor writes (`status.locale`):
   * the widget's own texts follow, at once and without a reload, unless the
   * site pins the language (data-locale-fixed).
   */
  private follow(tag: string | null | undefined): void {
    const locale = asLocale(tag);
    if (!locale || this.config.localeFixed) return;
    local.set(this.keys.locale, locale);
    if (locale !== this.locale) this.relabel(locale);
  }

  private relabel(locale: Locale): void {
    this.locale = locale;
    const t = (this.t = strings(locale));
    this.client.setLocale(locale);
    this.root.lang = locale;
    this.header.relabel(t, locale);
    this.panel.setAttribute("aria-label", this.header.title.textContent ?? t.title);
    this.prechat.relabel(t);
    this.minimize.setAttribute("aria-label", t.close);
    this.askHuman.textContent = t.talkToHuman;
    this.endChat.textContent = t.endChat;
    this.list.element.setAttribute("aria-label", t.messages);
    this.quick.setAttribute("aria-label", t.quickReplies);
    this.input.setAttribute("aria-label", t.placeholder);
    this.input.placeholder = t.placeholder;
    this.send.setAttribute("aria-label", t.send);
    this.typingEl.textContent = "";
    this.list.relabel(t, locale, this.client.entries());
    this.renderSeen();
    this.csat.relabel(t);
    this.transcript.relabel(t);
    this.offline.relabel(t, locale);
    this.choices.relabel(t, locale);
    this.attach.relabel(t, locale);
    this.limit.setLocale(locale);
    this.renderBadge();
    const connection = this.root.dataset.connection;
    if (connection === "online" || connection === "connecting" || connection === "offline") this.renderConnection(connection);
    // The status banner is redrawn by the renderStatus that called us.
  }

  private renderConnection(s: ConnectionState): void {
    const text = s === "offline" ? this.t.offlineBanner : s === "connecting" ? this.t.connecting : "";
    this.netBanner.hidden = !text;
    this.netBanner.textContent = text;
    this.root.dataset.connection = s;
  }

  private onRemoteTyping(ev: TypingEvent): void {
    if (!ev || ev.sender === "visitor") return;
    clearTimeout(this.remoteTypingTimer);
    if (!ev.typing) {
      this.typingEl.textContent = "";
      return;
    }
    const who = ev.sender ? authorLabel({ sender: ev.sender, author: ev.author ?? this.client.conversation?.agent ?? null }, this.t) : this.t.agentFallback;
    this.typingEl.textContent = this.t.typing(who);
    // A lost "typing: false" must not leave the indicator up forever.
    this.remoteTypingTimer = setTimeout(() => (this.typingEl.textContent = ""), REMOTE_TYPING_MAX_MS);
  }

  // ---- unread ----------------------------------------------------------------

  /** Unread = bot/agent/system messages after the last seq seen with the panel open. */
  private renderBadge(): void {
    const seen = readJson<{ c?: string; s?: number }>(local, this.keys.seen, {});
    const conv = this.client.transcript.conversation;
    const since = seen.c === conv ? (seen.s ?? 0) : 0;
    const n = this.client.transcript.messages().filter((m) => m.sender !== "visitor" && m.seq > since).length;
    this.badge.hidden = n === 0 || this.isOpen();
    this.badge.textContent = n > 99 ? "99+" : String(n);
    this.launcher.setAttribute("aria-label", n > 0 && !this.isOpen() ? `${this.t.open} (${this.t.unread(n)})` : this.isOpen() ? this.t.close : this.t.open);
  }

  private markSeen(): void {
    const conv = this.client.transcript.conversation;
    if (conv) local.set(this.keys.seen, JSON.stringify({ c: conv, s: this.client.transcript.lastSeq }));
    // In front of the visitor only when the page itself is: a background tab reads nothing.
    if (document.visibilityState === "visible") this.client.markRead();
    this.renderBadge();
  }
}
