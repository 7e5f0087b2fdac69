// The inbox's right-hand panel: one conversation read back (read-only
// transcript with the bot's intents and the internal notes, its tags, the
// rating), or a visitor's profile (details and their conversations, each
// opening here). Everything is fetched from the gateway's inbox routes and
// drawn as text.

import { h } from "../../shared/dom";
import { api } from "../api";
import { Chat } from "../chat";
import { type ConsoleStrings, errorText } from "../i18n";
import { TagEditor } from "../tags";
import { TranscriptView } from "../transcript-view";
import type { ConversationRecord, ConversationSummary, VisitorInfo } from "../types";
import { EmailReplyBox } from "./email-reply";
import { summaryLine, visitorName, when } from "./format";

/** States in which a conversation is over (an e-mail reply is possible). */
const ENDED = new Set(["closed", "abandoned"]);

export class ConversationReader {
  readonly element: HTMLElement;
  private seq = 0;

  /** `tagged` hears a conversation's new tags, so the result list can show them. */
  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
    private readonly myId: string,
    private readonly tagged: (conversationId: string, tags: string[]) => void,
  ) {
    this.element = h("section", { class: "inbox-reader", "aria-live": "polite", tabindex: "-1" }, h("p", { class: "meta" }, t.inbox.pick));
  }

  /** Reads one conversation back. */
  async show(conversationId: string): Promise<void> {
    const mine = ++this.seq;
    this.element.replaceChildren(h("p", { class: "meta" }, this.t.loading));
    const r = await api.conversation(conversationId);
    if (mine !== this.seq) return;
    if (!r.ok) {
      // Out of sight is not_found too (the gateway never hints it exists).
      this.problem(r.error === "not_found" ? this.t.inbox.notFound(conversationId) : this.t.refused + errorText(this.t, r));
      return;
    }
    this.renderConversation(r);
  }

  /** Says, in place of a conversation, why none is shown (a bad link, a refusal). */
  problem(text: string): void {
    ++this.seq;
    this.element.replaceChildren(h("p", { class: "error reader-problem", role: "alert" }, text));
  }

  /** A visitor's details and the conversations of theirs this agent may read. */
  async showVisitor(visitorId: string): Promise<void> {
    const mine = ++this.seq;
    this.element.replaceChildren(h("p", { class: "meta" }, this.t.loading));
    const r = await api.visitor(visitorId);
    if (mine !== this.seq) return;
    if (!r.ok) {
      this.element.replaceChildren(h("p", { class: "error", role: "alert" }, this.t.refused + errorText(this.t, r)));
      return;
    }
    this.renderVisitor(r.visitor, r.conversations);
  }

  private renderConversation(r: ConversationRecord): void {
    const { t, locale } = this;
    const chat = new Chat(`inbox:${this.myId}`, r.conversation, r.visitor);
    chat.merge(r.messages);
    chat.addNotes(r.notes);
    chat.forget(); // nothing of a read-only view belongs in localStorage
    const label = visitorName(t, r.visitor ?? r.summary?.visitor ?? { id: r.conversation.id, user_id: null });
    const transcript = new TranscriptView(t, locale, this.myId, t.inbox.readOnly);
    transcript.update(chat);
    const tags = new TagEditor(t, r.conversation.id, (list) => this.tagged(r.conversation.id, list));
    tags.set(r.tags);
    const profile = r.visitor ? h("button", { type: "button", class: "profile", "data-action": "profile" }, t.inbox.profile) : null;
    const visitorId = r.visitor?.id;
    profile?.addEventListener("click", () => visitorId && void this.showVisitor(visitorId));
    const facts = [
      t.states[r.conversation.state] ?? r.conversation.state,
      r.conversation.agent?.name ?? r.summary?.agent?.name ?? null,
      when(r.conversation.created_at, locale),
      r.csat ? t.inbox.csat(r.csat.score) : null,
      r.conversation.resolution === "offline_message" ? t.inbox.offline : null,
    ].filter(Boolean).join(" · ");
    const mail = ENDED.has(r.conversation.state) && r.reply_to
      ? new EmailReplyBox(t, r.conversation.id, r.reply_to, (m) => {
          chat.merge([m]);
          transcript.update(chat);
          transcript.scrollToEnd();
        })
      : null;
    this.element.replaceChildren(
      h("header", { class: "reader-head", "data-conversation": r.conversation.id, "data-state": r.conversation.state },
        h("h3", {}, label), h("p", { class: "meta" }, facts), tags.element, profile),
      h("p", { class: "meta read-only" }, t.inbox.readOnly),
      transcript.element,
      ...(mail ? [mail.element] : []),
    );
    transcript.scrollToEnd();
  }

  private renderVisitor(v: VisitorInfo, conversations: ConversationSummary[]): void {
    const { t, locale } = this;
    const rows: [string, string][] = [];
    if (v.name) rows.push([t.inbox.name, v.name]);
    if (v.email) rows.push([t.inbox.email, v.email]);
    if (v.user_id) rows.push([t.userId, v.user_id]);
    if (v.page_url) rows.push([t.page, v.page_url]);
    rows.push([t.locale, v.locale ?? "—"], [t.firstSeen, when(v.first_seen, locale)], [t.lastSeen, when(v.last_seen, locale)]);
    const list = h(
      "ul",
      { class: "profile-conversations" },
      ...conversations.map((c) => {
        const open = h("button", { type: "button", class: "link", "data-conversation": c.id }, summaryLine(t, locale, c));
        open.addEventListener("click", () => void this.show(c.id));
        return h("li", {}, open);
      }),
    );
    this.element.replaceChildren(
      h("header", { class: "reader-head profile-head", "data-visitor": v.id }, h("h3", {}, `${t.inbox.profile}: ${visitorName(t, v)}`)),
      h("dl", { class: "context" }, ...rows.flatMap(([k, x]) => [h("dt", {}, k), h("dd", {}, x)])),
      h("h4", {}, t.inbox.pastConversations),
      list,
    );
  }
}
