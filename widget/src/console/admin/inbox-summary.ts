// What a group card and the status line say about the inbox (pure).

import type { ExamplesAdded, GroupExample } from "./types";

/** The contract's reason codes, in the order a card lists them when counts tie. */
export const REASONS = ["flagged", "not_helped", "escalated", "agent_resolved", "clarified", "low_confidence", "out_of_scope"];

/** How many of a group's messages are there for each reason, most common first. */
export function reasonCounts(examples: Pick<GroupExample, "reason">[]): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  const rank = (code: string) => {
    const i = REASONS.indexOf(code);
    return i < 0 ? REASONS.length : i;
  };
  return [...counts]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || rank(a.code) - rank(b.code) || a.code.localeCompare(b.code));
}

/** How many examples were added and why the others were skipped. */
export function outcome(r: Pick<ExamplesAdded, "added" | "skipped">): { added: number; duplicate: number; otherIntent: number; other: number } {
  let duplicate = 0;
  let otherIntent = 0;
  let other = 0;
  for (const s of r.skipped ?? []) {
    if (s.reason === "duplicate") duplicate++;
    else if (s.reason === "other_intent") otherIntent++;
    else other++;
  }
  return { added: r.added?.length ?? 0, duplicate, otherIntent, other };
}

/** How many to show before "show all": enough to judge a group, not a wall. */
export const FIRST_EXAMPLES = 5;
