// Wire shapes of tsunagu protocol v1 (see docs/protocol.md). Names are fixed
// by the protocol; fields the gateway may add later are optional here so the
// client keeps working when they appear.

import type { Attachment } from "./attachments";

export type Sender = "visitor" | "bot" | "agent" | "system";

export interface Author {
  id: string;
  name: string;
}

export interface QuickReply {
  title: string;
  payload?: string | null;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  sender: Sender;
  author: Author | null;
  text: string;
  quick_replies?: QuickReply[] | null;
  client_id: string | null;
  /** Files sent with it (images, PDFs); absent from older gateways. */
  attachments?: Attachment[];
  /** A Rasa assistant's image (an http(s) URL); absent or null otherwise. */
  image?: string | null;
  /** A Rasa assistant's custom payload, for the site's own code (see docs/widget.md). */
  custom?: Record<string, unknown> | null;
  ts: string;
}

/** Protocol states plus "offline", which the gateway may send when nobody can take a chat. */
export type ConversationState = "bot" | "queued" | "assigned" | "closed" | "abandoned" | "offline";

export interface Conversation {
  id: string;
  state: ConversationState | string;
  queue_position: number | null;
  eta_s: number | null;
  agent: Author | null;
  last_seq: number;
  created_at: string;
  /** Not in v1 yet: a gateway may flag "nobody is available" this way instead of a state. */
  offline?: boolean;
  /** With `offline`: why ("closed" outside business hours, "no_agents"), and when it opens. */
  offline_reason?: string;
  opens_at?: string | null;
  /** The visitor may rate it (`csat`): a person took part and it was not a left message. */
  can_rate?: boolean;
  /** Read receipts: the highest seq the visitor and the agent have seen (absent from older gateways). */
  read?: ReadMarks;
  /** The visitor's language ("ja", "en"), following what they write; the widget relabels to it. */
  locale?: string | null;
  /**
   * When the gateway took this snapshot (microseconds since the epoch). With
   * several gateway processes snapshots can arrive out of order: keep the newest.
   */
  version?: number;
}

/** How far each side has read a conversation: the highest seq they had in view. */
export interface ReadMarks {
  visitor: number;
  agent: number;
}

/** `read` from the gateway: the other side's mark moved (`by` says whose). */
export interface ReadEvent {
  conversation_id?: string;
  by: "visitor" | "agent";
  seq: number;
}

/** The higher of a known mark and one a snapshot or event reports (marks only go forward). */
export function higherMark(known: number, reported: unknown): number {
  return typeof reported === "number" && reported > known ? reported : known;
}

/** An agent online now, as the widget header shows them: never an image URL. */
export interface Avatar {
  initials: string;
  /** #rrggbb */
  color: string;
  name: string | null;
}

/** The pre-chat form's fields ("name", "email") and those that must be filled in. */
export interface Prechat {
  fields: string[];
  required: string[];
}

/** The same for every visitor: what the header says and what is asked first. */
export interface SiteStatus {
  team_name: string | null;
  agents: Avatar[];
  /** Median human first response time of the last hours; null with too little data. */
  reply_time_s: number | null;
  open: boolean;
  opens_at: string | null;
  timezone: string | null;
  prechat: Prechat;
  /** The gateway can e-mail transcripts (`email_transcript`); absent on older gateways. */
  transcript_email?: boolean;
}

/** What the gateway keeps of this visitor; `identified` when the site vouched for them. */
export interface Profile {
  name: string | null;
  email: string | null;
  identified: boolean;
}

/** `auth.identity`: a logged-in user the site signed for (docs/widget.md). */
export interface Identity {
  user_id: string;
  hmac: string;
  name?: string;
  email?: string;
}

export interface Session {
  visitor_token: string;
  visitor_id: string;
  conversation: Conversation | null;
  site?: SiteStatus;
  profile?: Profile;
}

export interface TypingEvent {
  typing: boolean;
  sender?: Sender;
  author?: Author | null;
}

export type ErrorCode =
  | "invalid"
  | "too_long"
  | "rate_limited"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "unavailable";

export interface AckError {
  ok: false;
  error: ErrorCode | string;
  message: string;
}

export type Ack<T extends object> = ({ ok: true } & T) | AckError;

export interface OutgoingMessage {
  client_id: string;
  text: string;
  payload?: string;
  attachments?: { id: string }[];
}

/** The leave-a-message form (`leave_message`), when nobody can answer now. */
export interface LeaveMessage {
  client_id: string;
  text: string;
  email: string;
  name?: string;
}

export interface SyncResult {
  conversation: Conversation | null;
  messages: Message[];
}

/** Errors that a retry of the same request can never fix. */
export function isPermanentError(code: string): boolean {
  return code !== "rate_limited" && code !== "unavailable";
}

/** True when the gateway says no person can take the chat now (either spelling). */
export function isOffline(conv: Conversation | null | undefined): boolean {
  return !!conv && (conv.state === "offline" || conv.offline === true);
}

/**
 * True when `incoming` is an older snapshot of the conversation `current`
 * shows (both versioned): with several gateway processes it can arrive last.
 */
export function isOutdated(current: Conversation | null, incoming: Conversation): boolean {
  return current !== null && current.id === incoming.id
    && typeof incoming.version === "number" && typeof current.version === "number"
    && incoming.version < current.version;
}
