// Shapes the console receives on /agent and from the console HTTP APIs, as
// docs/protocol.md ("/agent as implemented") and the API handlers define them.
// Fields the gateway may add later are optional so the console keeps working.

import type { Author, Conversation, Message } from "../shared/protocol";

export type Role = "agent" | "supervisor" | "admin";
export type Presence = "online" | "away" | "offline";

export interface AgentInfo {
  id: string;
  name: string;
  email?: string;
  role: Role | string;
  capacity: number;
  teams?: string[];
  status: Presence | string;
}

/** Agents also get the bot's classification of each visitor message. */
export interface AgentMessage extends Message {
  intent?: string | null;
  confidence?: number | null;
  /** On bot messages: what the bot did ("answer", "clarify", "fallback", "escalate"). */
  action?: string | null;
}

/** A visitor's previous conversation (newest first in `visitor.earlier`). */
export interface EarlierConversation {
  id: string;
  state: string;
  created_at: string;
  resolution: string | null;
  last_seq: number;
}

export interface VisitorInfo {
  id: string;
  user_id: string | null;
  /** From the pre-chat form or the site's signed identity. */
  name?: string | null;
  email?: string | null;
  /** The site vouched for this visitor (HMAC identity). */
  identified?: boolean;
  /** They had conversations before (same identity or same browser); how many. */
  returning?: boolean;
  past_conversations?: number;
  locale: string | null;
  page_url: string | null;
  first_seen: string;
  last_seen: string;
  earlier?: EarlierConversation[];
  /** Whether the visitor is here: a tab open and active, idle, or no tab open. */
  presence?: VisitorPresence;
}

export type VisitorPresence = "online" | "idle" | "left";

/** `visitor_presence`: the visitor of a chat this agent holds came, went idle or left. */
export interface VisitorPresenceEvent {
  conversation_id: string;
  visitor_id: string;
  presence: VisitorPresence;
  at: string;
}

/** Conversation snapshots on /agent also say when it was queued and taken, and how it ended. */
export interface AgentConversation extends Conversation {
  queued_at?: string | null;
  assigned_at?: string | null;
  /** Seconds the visitor waited before an agent joined (server-computed). */
  wait_s?: number | null;
  resolution?: string | null;
}

export interface Note {
  id: string | number;
  conversation_id: string;
  author: Author;
  text: string;
  ts: string;
}

/** One chat of `hello.conversations`. */
export interface HeldConversation extends AgentConversation {
  visitor?: VisitorInfo | null;
  messages?: AgentMessage[];
  notes?: Note[];
  tags?: string[];
}

export interface Hello {
  agent: AgentInfo;
  conversations: HeldConversation[];
}

export interface Assigned {
  conversation: AgentConversation;
  visitor: VisitorInfo | null;
  messages: AgentMessage[];
  /** The notes written on it so far (before a transfer); absent from older gateways. */
  notes?: Note[];
  tags?: string[];
}

export interface AgentTyping {
  conversation_id: string;
  typing: boolean;
  sender?: string;
}

export interface Canned {
  id: number;
  shortcut: string;
  locale: string;
  title: string;
  text: string;
  placeholders: string[];
}

/** A transfer target from GET /api/agents. */
export interface AgentRow {
  id: string;
  name: string;
  role: string;
  teams: string[];
  capacity: number;
  status: string;
  connected: boolean;
  load: number;
}

export interface QueueRow {
  conversation_id: string;
  position: number;
  priority: number | string;
  team: string | null;
  locale: string | null;
  visitor_name?: string | null;
  queued_at: string;
  wait_s: number;
}

export interface Overview {
  queue: QueueRow[];
  /** Chats waiting or with an agent (absent from older gateways). */
  live?: LiveChat[];
  agents: AgentRow[];
  today: {
    conversations: number;
    bot_resolved_share: number | null;
    bot_frt_p50_s: number | null;
    human_frt_p50_s: number | null;
    abandoned: number;
    csat_mean?: number | null;
    csat_count?: number;
    csat_positive_share?: number | null;
  };
}

/** One conversation as the inbox lists it (GET /api/conversations, overview.live). */
export interface ConversationSummary {
  id: string;
  state: string;
  created_at: string;
  closed_at: string | null;
  last_message_at: string | null;
  last_seq: number;
  locale: string | null;
  resolution: string | null;
  visitor: { id: string; user_id: string | null; name?: string | null };
  agent: { id: string; name: string } | null;
  intents: string[];
  first_words: string;
  tags: string[];
  csat: number | null;
}

/** A live chat of the supervisor overview: the summary and its wait. */
export interface LiveChat extends ConversationSummary {
  queued_at: string;
  assigned_at: string | null;
  wait_s: number;
}

/** GET /api/conversations/{id} and the `watch` ack: a whole conversation, read-only. */
export interface ConversationRecord {
  conversation: AgentConversation;
  summary?: ConversationSummary;
  visitor: VisitorInfo | null;
  messages: AgentMessage[];
  notes: Note[];
  tags: string[];
  csat?: { score: number; comment: string | null } | null;
  /** Where an e-mail reply would go: the visitor's address, for an ended conversation when the gateway sends e-mail. */
  reply_to?: string | null;
}

export interface VisitorProfile {
  visitor: VisitorInfo;
  conversations: ConversationSummary[];
}

/** What the inbox searches by (empty strings are left out). */
export interface InboxQuery {
  q?: string;
  state?: string;
  visitor?: string;
  intent?: string;
  agent?: string;
  from?: string;
  to?: string;
  tag?: string;
  cursor?: string;
}
