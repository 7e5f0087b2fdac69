// The console's links to one conversation: `/console#conversation=<id>`, as
// Slack/Teams messages, webhooks and the offline-message e-mail write them
// (TSUNAGU_PUBLIC_URL + this). The id travels in the hash, so it never reaches
// a server log, and the login page carries it through sign-in.

/** The gateway's conversation id pattern (its routes accept nothing else). */
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/** How much of a bad id is repeated back to the agent. */
const SHOWN = 80;

/** What a hash names: a conversation id, a malformed one (`bad`), or nothing of ours (null). */
export type LinkTarget = { id: string } | { bad: string } | null;

/** Reads `#conversation=<id>` (the one parameter of ours; others are ignored). */
export function linkedConversation(hash: string): LinkTarget {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (!params.has("conversation")) return null;
  const raw = params.get("conversation") ?? "";
  return ID.test(raw) ? { id: raw } : { bad: raw.slice(0, SHOWN) };
}

/** The hash to keep across the login page: a conversation link, re-encoded; anything else is dropped. */
export function carriedHash(hash: string): string {
  const target = linkedConversation(hash);
  if (!target) return "";
  return `#conversation=${encodeURIComponent("id" in target ? target.id : target.bad)}`;
}

/** The address bar without the link, once it has been followed (a reload does not follow it again). */
export function forgetLink(): void {
  if (linkedConversation(location.hash)) history.replaceState(history.state, "", location.pathname + location.search);
}
