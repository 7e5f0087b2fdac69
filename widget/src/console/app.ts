// The console page: top bar (who, load, presence, language, sign out),
// the chats side by side (tabs with unread counts above them; on a narrow
// screen only the chosen one shows), the Inbox (every conversation the agent
// may read, searched, in place of the chats), the supervisor panel for
// supervisors and admins (live chats to watch, whisper to, take over), the Reports page (in place of the chats) for supervisors and
// admins, the Admin section (in place of the chats too) for admins, and the
// keyboard shortcuts, and links to one conversation (#conversation=<id>,
// followed after sign-in and on hashchange). A new chat is announced (title,
// chime, screen-reader status) and highlighted, but focus stays wherever
// the agent is typing.

import type { Locale } from "../shared/i18n";
import { h } from "../shared/dom";
import { upload } from "../shared/attachments";
import { api, csrfToken, useCsrf } from "./api";
import type { Chat } from "./chat";
import { ChatView, tabLabel, visitorLabel } from "./chat-view";
import { carriedHash, forgetLink, linkedConversation } from "./deep-link";
import { Desk, type DeskConnection } from "./desk";
import { type ConsoleStrings, errorText, setConsoleLocale } from "./i18n";
import { armSound, chime, pageTitle } from "./notify";
import { CannedAdmin } from "./canned-admin";
import { SupervisorPanel } from "./supervisor";
import { AdminSection } from "./admin/section";
import { ReportsSection } from "./reports/section";
import { InboxSection } from "./inbox/section";
import type { AgentInfo, AgentRow, Canned } from "./types";

const CANNED_REFRESH_MS = 60_000;
/** The tabs' waiting times grow between events; a coarse tick keeps them true enough. */
const WAIT_TICK_MS = 15_000;

export class ConsoleApp {
  private readonly desk: Desk;
  private readonly views = new Map<string, ChatView>();
  private readonly tabs = new Map<string, HTMLButtonElement>();
  private active: string | null = null;
  private canned: Canned[] = [];
  private agent: AgentInfo;
  /** Set once the page is on its way to /login. */
  private leaving = false;
  /** The first `hello` has come: the chats this agent holds are known, a link can be followed. */
  private linkReady = false;

  private readonly tabBar: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly me: HTMLElement;
  private readonly load: HTMLElement;
  private readonly presence: HTMLSelectElement;
  private readonly net: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly notice: HTMLElement;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly supervisor: SupervisorPanel | null;
  private readonly cannedAdmin: CannedAdmin | null;
  private readonly admin: AdminSection | null;
  private readonly body: HTMLElement;
  private readonly adminToggle: HTMLButtonElement | null;
  private readonly reports: ReportsSection | null;
  private readonly reportsToggle: HTMLButtonElement | null;
  private readonly inbox: InboxSection;
  private readonly inboxToggle: HTMLButtonElement;

  constructor(
    root: HTMLElement,
    agent: AgentInfo,
    private readonly t: ConsoleStrings,
    private readonly locale: Locale,
  ) {
    this.agent = agent;
    this.me = h("span", { class: "me" });
    this.load = h("span", { class: "load", "aria-live": "polite" });
    this.presence = h(
      "select",
      { class: "presence", "aria-label": t.presence },
      h("option", { value: "online" }, t.online),
      h("option", { value: "away" }, t.away),
    );
    const lang = h(
      "select",
      { class: "lang", "aria-label": t.language },
      h("option", { value: "ja" }, "日本語"),
      h("option", { value: "en" }, "English"),
    );
    lang.value = locale;
    const supervising = agent.role === "supervisor" || agent.role === "admin";
    const supToggle = supervising ? h("button", { type: "button", class: "sup-toggle", "aria-pressed": "false" }, t.supervisor) : null;
    const cannedToggle = agent.role === "admin" ? h("button", { type: "button", class: "canned-toggle", "aria-pressed": "false" }, t.manageCanned) : null;
    const reportsToggle = supervising ? h("button", { type: "button", class: "reports-toggle", "data-action": "reports", "aria-pressed": "false" }, t.reports.open) : null;
    const adminToggle = agent.role === "admin" ? h("button", { type: "button", class: "admin-toggle", "data-action": "admin", "aria-pressed": "false" }, t.admin.open) : null;
    const inboxToggle = h("button", { type: "button", class: "inbox-toggle", "data-action": "inbox", "aria-pressed": "false" }, t.inbox.open);
    const signOut = h("button", { type: "button", class: "sign-out" }, t.signOut);
    this.net = h("div", { class: "net", role: "status", hidden: true }, t.connecting);
    this.alert = h("div", { class: "alert", role: "alert", hidden: true });
    this.notice = h("div", { class: "notice", hidden: true });
    this.announcer = h("div", { class: "sr-only announcer", role: "status", "aria-live": "polite" });
    this.tabBar = h("div", { class: "tabs", role: "tablist", "aria-label": t.chats });
    this.empty = h("p", { class: "empty" }, t.noChats);
    this.grid = h("div", { class: "chats" }, this.empty);
    this.supervisor = supervising
      ? new SupervisorPanel(t, locale, agent.id, {
          watch: (id) => this.desk.watch(id),
          unwatch: (id) => this.desk.unwatch(id),
          takeover: (id) => this.desk.takeover(id),
          whisper: (chat, text) => this.desk.whisper(chat, text),
          reassign: (id, agentId) => this.desk.reassign(id, agentId),
          agents: () => this.transferTargets(),
        })
      : null;
    this.inbox = new InboxSection(t, locale, agent.id, () => this.showInbox(false), () => this.allAgents());
    this.inboxToggle = inboxToggle;
    this.cannedAdmin = cannedToggle ? new CannedAdmin(t, (list) => (this.canned = list)) : null;
    this.admin = adminToggle ? new AdminSection(t, locale, () => this.showAdmin(false)) : null;
    this.adminToggle = adminToggle;
    this.reports = reportsToggle
      ? new ReportsSection(t, locale, () => this.showReports(false), this.admin ? (intent) => this.openInbox(intent) : null)
      : null;
    this.reportsToggle = reportsToggle;
    this.body = h(
      "div",
      { class: "body" },
      h("main", { class: "desk" }, this.tabBar, this.grid, h("p", { class: "shortcuts" }, t.shortcuts)),
      this.admin?.element ?? null,
      this.reports?.element ?? null,
      this.inbox.element,
      this.supervisor?.element ?? null,
      this.cannedAdmin?.element ?? null,
    );
    root.replaceChildren(
      h(
        "div",
        { class: "app", lang: locale },
        h("div", { class: "topbar" }, h("h1", {}, t.appTitle), this.me, this.load, h("span", { class: "spacer" }), this.presence, lang, inboxToggle, reportsToggle, adminToggle, supToggle, cannedToggle, signOut),
        this.net,
        this.alert,
        this.notice,
        this.announcer,
        this.body,
      ),
    );

    this.desk = new Desk(agent, {
      agent: (a) => this.onAgent(a),
      added: (chat, announce) => this.onAdded(chat, announce),
      updated: (chat) => this.onUpdated(chat),
      removed: (chat, state, byMe) => this.onRemoved(chat, state, byMe),
      connection: (s) => this.onConnection(s),
      ended: () => this.toLogin(),
      overview: (o) => this.supervisor?.push(o),
      watched: (chat) => this.supervisor?.watchedChanged(chat),
    });

    this.presence.addEventListener("change", () => {
      const wanted = this.presence.value === "away" ? "away" : "online";
      void this.desk.presence(wanted).then((ack) => {
        if (!ack.ok) {
          this.showAlert(errorText(this.t, ack));
          this.presence.value = this.agent.status === "away" ? "away" : "online";
        }
      });
    });
    lang.addEventListener("change", () => {
      setConsoleLocale(lang.value === "ja" ? "ja" : "en");
      location.reload();
    });
    // Side panels: on a narrow screen an open one takes the place of the chats.
    const toggles: [HTMLButtonElement | null, { start(): void; stop(): void } | null][] = [
      [supToggle, this.supervisor],
      [cannedToggle, this.cannedAdmin && { start: () => void this.cannedAdmin?.open(), stop: () => this.cannedAdmin?.close() }],
    ];
    for (const [button, panel] of toggles) {
      button?.addEventListener("click", () => {
        const on = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", String(on));
        if (on) panel?.start();
        else panel?.stop();
        this.body.classList.toggle("show-side", toggles.some(([b]) => b?.getAttribute("aria-pressed") === "true"));
      });
    }
    adminToggle?.addEventListener("click", () => this.showAdmin(!this.admin?.isOpen));
    reportsToggle?.addEventListener("click", () => this.showReports(!this.reports?.isOpen));
    inboxToggle.addEventListener("click", () => this.showInbox(!this.inbox.isOpen));
    signOut.addEventListener("click", () => void this.signOut());
    window.addEventListener("hashchange", () => this.followLink());
    document.addEventListener("keydown", (e) => this.onShortcut(e));
    window.addEventListener("focus", () => {
      this.renderTitle();
      this.readActive();
    });
    armSound();
  }

  start(): void {
    this.onAgent(this.agent);
    this.desk.start();
    void this.loadCanned();
    setInterval(() => void this.loadCanned(), CANNED_REFRESH_MS);
    setInterval(() => {
      for (const chat of this.desk.chats.values()) this.renderTab(chat);
    }, WAIT_TICK_MS);
  }

  // ---- desk events --------------------------------------------------------

  private onAgent(a: AgentInfo): void {
    this.agent = a;
    this.me.textContent = a.name;
    this.presence.value = a.status === "away" ? "away" : "online";
    this.presence.dataset.status = a.status;
    this.renderLoad();
  }

  private onAdded(chat: Chat, announce: boolean): void {
    const view = new ChatView(chat, this.t, this.locale, this.agent.id, {
      reply: (text) => this.desk.send(chat, text),
      upload: (file, progress) => upload("", { csrf: csrfToken() }, file, progress, { conversation_id: chat.id }),
      sendFile: (a) => this.desk.send(chat, "", [a]),
      note: (text) => this.desk.note(chat, text),
      typing: (on) => this.desk.setTyping(chat, on),
      canned: () => this.canned,
      agentName: () => this.agent.name,
      transferTargets: () => this.transferTargets(),
      transfer: (target) => this.desk.transfer(chat, target),
      handback: () => this.desk.handback(chat),
      close: (resolution) => this.desk.close(chat, resolution),
      seen: () => this.seen(chat),
      history: (id) => this.desk.history(id),
      profile: (visitorId) => this.openProfile(visitorId),
    });
    view.element.addEventListener("focusin", () => this.activate(chat.id));
    this.views.set(chat.id, view);
    const tab = h("button", { type: "button", class: "tab", role: "tab", "aria-controls": view.element.id, "data-conversation": chat.id });
    tab.addEventListener("click", () => {
      this.activate(chat.id);
      this.views.get(chat.id)?.composer.focus();
    });
    this.tabs.set(chat.id, tab);
    this.tabBar.append(tab);
    this.empty.remove();
    this.grid.append(view.element);
    view.scrollToEnd();
    // The agent may be mid-sentence in another chat: only take the visible
    // slot (narrow screens) when no composer is being written in.
    if (this.active === null || !this.isTyping()) this.activate(chat.id);
    if (announce) {
      chime();
      this.announcer.textContent = this.t.newChatAnnounce(visitorLabel(chat, this.t));
    }
    this.renderTab(chat);
    this.renderLoad();
    this.renderTitle();
  }

  private onUpdated(chat: Chat): void {
    const view = this.views.get(chat.id);
    // What arrives in the chat the agent is working in is read as it comes.
    if (view && document.hasFocus() && view.element.contains(document.activeElement)) chat.markSeen();
    if (chat.id === this.active) this.readActive();
    view?.render();
    this.renderTab(chat);
    this.renderTitle();
  }

  private onRemoved(chat: Chat, state: string | null, byMe: boolean): void {
    const id = chat.id;
    // A chat vanishing under the agent's hands needs a word of why.
    if (!byMe) this.showNotice(this.t.chatLeft(visitorLabel(chat, this.t), state));
    const view = this.views.get(id);
    const hadFocus = !!view && view.element.contains(document.activeElement);
    view?.element.remove();
    this.tabs.get(id)?.remove();
    this.views.delete(id);
    this.tabs.delete(id);
    if (this.views.size === 0) this.grid.append(this.empty);
    if (this.active === id) {
      this.active = null;
      const next = [...this.views.keys()][0];
      if (next) {
        this.activate(next);
        if (hadFocus) this.views.get(next)?.composer.focus();
      }
    }
    this.renderLoad();
    this.renderTitle();
  }

  private onConnection(s: DeskConnection): void {
    this.net.hidden = s === "online";
    this.net.textContent = s === "connecting" && this.views.size > 0 ? this.t.reconnecting : this.t.connecting;
    document.body.dataset.connection = s;
    if (s === "online" && !this.linkReady) {
      this.linkReady = true;
      this.followLink();
    }
  }

  /**
   * `#conversation=<id>` (Slack, Teams, e-mail): a chat this agent holds gets
   * its tab; any other opens read-only in the Inbox's reader (with the e-mail
   * reply when it applies); a malformed or unknown id is said so there.
   */
  private followLink(): void {
    const target = linkedConversation(location.hash);
    if (!target || !this.linkReady) return;
    forgetLink();
    const view = "id" in target ? this.views.get(target.id) : undefined;
    if (view && "id" in target) {
      if (this.inbox.isOpen) this.showInbox(false, false);
      if (this.reports?.isOpen) this.showReports(false, false);
      if (this.admin?.isOpen) this.showAdmin(false);
      this.activate(target.id);
      view.composer.focus();
      return;
    }
    this.showInbox(true, false, false);
    if ("id" in target) this.inbox.read(target.id);
    else this.inbox.reader.problem(this.t.inbox.badLink(target.bad));
    this.inbox.reader.element.focus();
  }

  // ---- helpers ------------------------------------------------------------

  /** The Admin section takes the place of the chats (they keep running underneath). */
  private showAdmin(on: boolean): void {
    if (!this.admin || !this.adminToggle) return;
    if (on && this.reports?.isOpen) this.showReports(false, false);
    if (on && this.inbox.isOpen) this.showInbox(false, false);
    this.adminToggle.setAttribute("aria-pressed", String(on));
    this.body.classList.toggle("show-admin", on);
    if (on) this.admin.open();
    else {
      this.admin.close();
      this.readActive();
      this.adminToggle.focus();
    }
  }

  /** The Reports page takes the place of the chats (or of the Admin section) the same way. */
  private showReports(on: boolean, refocus = true): void {
    if (!this.reports || !this.reportsToggle) return;
    if (on && this.admin?.isOpen) this.showAdmin(false);
    if (on && this.inbox.isOpen) this.showInbox(false, false);
    this.reportsToggle.setAttribute("aria-pressed", String(on));
    this.body.classList.toggle("show-reports", on);
    if (on) this.reports.open();
    else {
      this.reports.close();
      this.readActive();
      if (refocus) this.reportsToggle.focus();
    }
  }

  /** The Inbox takes the place of the chats (or of Admin, Reports) the same way. */
  private showInbox(on: boolean, refocus = true, focusTitle = true): void {
    if (on && this.admin?.isOpen) this.showAdmin(false);
    if (on && this.reports?.isOpen) this.showReports(false, false);
    this.inboxToggle.setAttribute("aria-pressed", String(on));
    this.body.classList.toggle("show-inbox", on);
    if (on) this.inbox.open(focusTitle);
    else {
      this.inbox.close();
      this.readActive();
      if (refocus) this.inboxToggle.focus();
    }
  }

  /** A visitor's profile (from a chat's details): the Inbox with the profile in its reader. */
  private openProfile(visitorId: string): void {
    this.showInbox(true, false, false);
    void this.inbox.reader.showVisitor(visitorId);
    this.inbox.reader.element.focus();
  }

  /** Every agent, for the inbox's agent filter (the transfer list leaves this agent out). */
  private async allAgents(): Promise<AgentRow[]> {
    const r = await api.agents();
    return r.ok ? r.agents : [];
  }

  /** From a report's intent to the Admin section's inbox (it has no per-intent filter). */
  private openInbox(_intent: string): void {
    this.showAdmin(true);
    this.admin?.element.querySelector<HTMLButtonElement>('[data-admin-tab="inbox"]')?.click();
  }

  private activate(id: string): void {
    if (this.active === id) return;
    this.active = id;
    for (const [cid, view] of this.views) {
      view.setActive(cid === id);
      this.tabs.get(cid)?.setAttribute("aria-selected", String(cid === id));
    }
    this.readActive();
  }

  /**
   * Read receipts: the chat whose tab is the active one is read, while the
   * window has focus and no Inbox, Reports or Admin page covers the chats.
   */
  private readActive(): void {
    const chat = this.active ? this.desk.chats.get(this.active) : undefined;
    const covered = this.inbox.isOpen || !!this.reports?.isOpen || !!this.admin?.isOpen;
    if (chat && !covered && document.hasFocus()) this.desk.markRead(chat);
  }

  private seen(chat: Chat): void {
    if (chat.markSeen()) this.onUpdated(chat);
  }

  private isTyping(): boolean {
    const el = document.activeElement;
    return el instanceof HTMLTextAreaElement && el.value.trim().length > 0;
  }

  /** Who (customer id or first words), how long they have waited for a reply, unread count. */
  private renderTab(chat: Chat): void {
    const tab = this.tabs.get(chat.id);
    if (!tab) return;
    const unread = chat.unread();
    const parts: (HTMLElement | string)[] = [h("span", { class: "tab-name" }, tabLabel(chat, this.t))];
    const presence = chat.visitor?.presence;
    if (presence) {
      // A dot by the name; its meaning in words for screen readers and on hover.
      const label = this.t.visitorPresence[presence] ?? presence;
      parts.unshift(h("span", { class: "presence-dot", "data-presence": presence, title: label, "aria-hidden": "true" }));
      parts.push(h("span", { class: "sr-only" }, `, ${label}`));
    }
    const since = chat.waitingSince();
    if (since !== null) {
      const waited = this.t.waiting(Math.max(0, (Date.now() - since) / 1000));
      // The clock alone says nothing to a screen reader: name it.
      parts.push(h("span", { class: "sr-only" }, `, ${this.t.waitingLabel} `), h("span", { class: "tab-wait", title: `${this.t.waitingLabel}: ${waited}` }, waited));
    }
    if (unread > 0) parts.push(h("span", { class: "count", "aria-label": this.t.unread(unread) }, String(unread)));
    tab.replaceChildren(...parts);
    tab.classList.toggle("fresh", chat.fresh);
    tab.dataset.unread = String(unread);
    tab.dataset.waiting = since === null ? "" : new Date(since).toISOString();
  }

  private renderLoad(): void {
    this.load.textContent = this.t.capacity(this.views.size, this.agent.capacity);
  }

  private renderTitle(): void {
    let fresh = 0;
    let unread = 0;
    for (const chat of this.desk.chats.values()) {
      if (chat.fresh) fresh++;
      unread += chat.unread();
    }
    document.title = pageTitle(this.t.appTitle, this.t.newChat, fresh, unread);
  }

  private showNotice(text: string): void {
    this.announcer.textContent = text;
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice.hidden = true), 10_000);
  }

  private showAlert(message: string): void {
    this.alert.textContent = this.t.refused + message;
    this.alert.hidden = false;
    setTimeout(() => (this.alert.hidden = true), 8_000);
  }

  private async loadCanned(): Promise<void> {
    const r = await api.canned("");
    if (r.ok) this.canned = r.canned;
  }

  private async transferTargets(): Promise<AgentRow[]> {
    const r = await api.agents();
    if (!r.ok) {
      this.showAlert(errorText(this.t, r));
      return [];
    }
    return r.agents.filter((a) => a.id !== this.agent.id);
  }

  private onShortcut(e: KeyboardEvent): void {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    // The chat shortcuts would move focus into chats hidden behind the Admin section.
    if (this.admin?.isOpen || this.reports?.isOpen || this.inbox.isOpen) return;
    // e.code, not e.key: Alt+N types "˜" on a Mac keyboard and a JIS layout differs.
    const ids = [...this.views.keys()];
    const at = this.active ? ids.indexOf(this.active) : -1;
    const view = this.active ? this.views.get(this.active) : undefined;
    switch (e.code) {
      case "KeyN":
      case "KeyP": {
        if (ids.length === 0) return;
        e.preventDefault();
        const step = e.code === "KeyN" ? 1 : -1;
        const next = ids[(at + step + ids.length) % ids.length]!;
        this.activate(next);
        this.views.get(next)?.composer.focus();
        return;
      }
      case "KeyM":
        if (!view) return;
        e.preventDefault();
        view.composer.toggleMode();
        view.composer.focus();
        return;
      case "KeyK":
        if (!view) return;
        e.preventDefault();
        view.openClose();
        return;
    }
  }

  private async signOut(): Promise<void> {
    // Our own socket would hear `session_ended` too: close it first, so one
    // navigation to /login happens, not two racing each other.
    this.desk.stop();
    await api.logout();
    this.toLogin();
  }

  private toLogin(): void {
    if (this.leaving) return;
    this.leaving = true;
    this.desk.stop();
    location.assign(`/login${carriedHash(location.hash)}`);
  }
}

/** Reads the session (cookie) and starts the console, or sends the agent to the login page. */
export async function startConsole(root: HTMLElement, t: ConsoleStrings, locale: Locale): Promise<void> {
  const session = await api.session();
  if (!session.ok) {
    // A link to a conversation is followed after sign-in.
    location.assign(`/login${carriedHash(location.hash)}`);
    return;
  }
  useCsrf(session.csrf);
  new ConsoleApp(root, session.agent, t, locale).start();
}
