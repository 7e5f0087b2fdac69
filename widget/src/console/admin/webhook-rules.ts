// What the Webhooks tab decides without the DOM (unit-tested): the fixed
// names, when a new subscription may be sent, the state a delivery is shown
// in, and the sentence for a refusal, worded from its code (and, for a
// refused URL, from the SSRF guard's `reason`), never the gateway's English.

import type { Delivery } from "./types";

/** live_chat/webhooks/__init__.py's EVENTS and KINDS, in their documented order. */
export const EVENTS = ["conversation.created", "escalated", "assigned", "closed", "csat", "message.created"] as const;
export const KINDS = ["webhook", "slack", "teams"] as const;
/** The log's status filter (the gateway's three). */
export const STATUSES = ["pending", "delivered", "failed"] as const;

/** A delivery as the log shows it: a pending one already tried is "retrying". */
export type ShownState = "pending" | "retrying" | "delivered" | "failed";

export function shownState(d: Pick<Delivery, "status" | "attempts">): ShownState {
  if (d.status === "delivered" || d.status === "failed") return d.status;
  return d.attempts > 0 ? "retrying" : "pending";
}

/** Why the create form cannot be sent yet (a key of the strings' `problems`), or null. */
export type SubscriptionProblem = "url" | "events" | null;

export function subscriptionProblem(url: string, events: readonly string[]): SubscriptionProblem {
  if (!/^https?:\/\/\S+$/i.test(url.trim())) return "url";
  if (events.length === 0) return "events";
  return null;
}

/** The POST body; events in the documented order, each once. */
export function subscriptionBody(url: string, kind: string, events: readonly string[], description = ""): {
  url: string;
  kind: string;
  events: string[];
  description?: string;
} {
  const body: { url: string; kind: string; events: string[]; description?: string } = {
    url: url.trim(),
    kind,
    events: EVENTS.filter((e) => events.includes(e)),
  };
  if (description.trim()) body.description = description.trim();
  return body;
}

export interface WebhookErrorTable {
  /** By the `reason` of a refused URL (`field: "url"`). */
  reasons: Record<string, string>;
  /** By error code. */
  errors: Record<string, string>;
  /** For any other code. */
  other: string;
}

/** The refusal in the admin's language: by reason, then by code, never the gateway's sentence. */
export function webhookErrorText(
  table: WebhookErrorTable,
  failure: { error?: string; data?: Record<string, unknown> | null },
): string {
  const reason = failure.data?.reason;
  if (failure.error === "invalid" && typeof reason === "string" && table.reasons[reason]) return table.reasons[reason]!;
  return (failure.error && table.errors[failure.error]) || table.other;
}
