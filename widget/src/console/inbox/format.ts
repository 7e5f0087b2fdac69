// How the inbox and the supervisor's live list name a visitor and sum up a conversation.

import type { ConsoleStrings } from "../i18n";
import type { ConversationSummary } from "../types";

/** The site's customer id when it vouched for one, else the short visitor id the chats show. */
export function visitorName(t: ConsoleStrings, userId: string | null, visitorId: string): string {
  return userId || t.visitorLabel(visitorId.slice(-6));
}

export function when(iso: string | null | undefined, locale: string): string {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString(locale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "—";
}

/** One line: when, state, agent, first words. */
export function summaryLine(t: ConsoleStrings, locale: string, c: ConversationSummary): string {
  return [when(c.created_at, locale), t.states[c.state] ?? c.state, c.agent?.name, c.first_words].filter(Boolean).join(" · ");
}
