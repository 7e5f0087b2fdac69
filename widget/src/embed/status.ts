// What the visitor is told about the conversation's state. Pure, so the
// wording rules (minutes rounded up, position optional) live in one place.

import type { Strings } from "../shared/i18n";
import { type Conversation, isOffline } from "../shared/protocol";

/** "choices": nobody can answer now; the visitor picks what to do (offline-choice.ts). */
export type Panel = "chat" | "csat" | "choices";

export interface StatusView {
  /** Banner text, or null for no banner. */
  banner: string | null;
  /** What sits above the composer. */
  panel: Panel;
  /** Offer "talk to a person" only while the bot has the chat. */
  canAskHuman: boolean;
  canEnd: boolean;
}

export function describe(c: Conversation | null, t: Strings): StatusView {
  if (!c) return { banner: null, panel: "chat", canAskHuman: false, canEnd: false };
  // The choices card's own heading says nobody is available; no banner repeating it.
  if (isOffline(c)) return { banner: null, panel: "choices", canAskHuman: false, canEnd: true };
  switch (c.state) {
    case "queued": {
      const pos = typeof c.queue_position === "number" ? c.queue_position : null;
      const min = typeof c.eta_s === "number" ? Math.max(1, Math.ceil(c.eta_s / 60)) : null;
      return { banner: t.queued(pos, min), panel: "chat", canAskHuman: false, canEnd: true };
    }
    case "assigned":
      return {
        banner: t.agentJoined(c.agent?.name || t.agentFallback),
        panel: "chat",
        canAskHuman: false,
        canEnd: true,
      };
    case "closed":
      // Rated only when a person took part (the gateway says so in can_rate).
      return { banner: t.chatClosed, panel: c.can_rate === true ? "csat" : "chat", canAskHuman: false, canEnd: false };
    case "abandoned":
      // The visitor left the queue: there was no chat to rate.
      return { banner: t.chatClosed, panel: "chat", canAskHuman: false, canEnd: false };
    default:
      return { banner: null, panel: "chat", canAskHuman: true, canEnd: true };
  }
}
