// How the inbox and the supervisor's live list name a visitor and sum up a conversation.

import type { ConsoleStrings } from "../i18n";
import type { ConversationSummary } from "../types";

/** As the chats name a visitor: their name, the site's customer id, else the short visitor id. */
export function visitorName(t: ConsoleStrings, v: { id: string; user_id: string | null; name?: string | null }): string {
  return v.name || v.user_id || t.visitorLabel(v.id.slice(-6));
}

export function when(iso: string | null | undefined, locale: string): string {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString(locale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "—";
}

/** One line: when, state, agent, first words. */
export function summaryLine(t: ConsoleStrings, locale: string, c: ConversationSummary): string {
  return [when(c.created_at, locale), t.states[c.state] ?? c.state, c.agent?.name, c.first_words].filter(Boolean).join(" · ");
}
