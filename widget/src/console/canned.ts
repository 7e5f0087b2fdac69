// Canned responses: ranking a query against the list and filling the
// placeholders. Pure (no DOM), so the rules are unit-tested in node.

import type { Canned } from "./types";

export interface PlaceholderValues {
  agent_name: string;
  /** The visitor's name when the site told us one; null means "use a polite stand-in". */
  visitor_name: string | null;
  /** The language of the reply, for the stand-in. */
  locale: string;
}

/**
 * Replaces {agent_name} and {visitor_name}. Without a visitor name the
 * stand-in is neutral: "there" in English ("Hi {visitor_name}," → "Hi
 * there,"), お客様 in Japanese — where a template's own honorific after the
 * placeholder ("{visitor_name}様") is folded in, so it never reads お客様様.
 * Unknown placeholders are left as written so the agent sees them.
 */
export function fillPlaceholders(text: string, v: PlaceholderValues): string {
  const ja = v.locale.toLowerCase().startsWith("ja");
  let out = text.replace(/\{agent_name\}/g, () => v.agent_name);
  if (v.visitor_name) {
    out = out.replace(/\{visitor_name\}/g, () => v.visitor_name ?? "");
  } else if (ja) {
    out = out.replace(/\{visitor_name\}(様|さま|さん|殿)?/g, "お客様");
  } else {
    out = out.replace(/\{visitor_name\}/g, "there");
  }
  return out;
}

/** The keyword after a leading "/" while the composer holds nothing else, or null. */
export function slashQuery(composer: string): string | null {
  const m = /^\/(\S*)$/u.exec(composer);
  return m ? (m[1] ?? "") : null;
}

/**
 * Canned responses matching `query`, best first: shortcut prefix, then
 * shortcut/title substring, then text substring; within a rank, the
 * visitor's language first. An empty query lists everything.
 */
export function rankCanned(list: readonly Canned[], query: string, locale: string | null): Canned[] {
  const q = query.trim().toLowerCase();
  const lang = (locale ?? "").toLowerCase().split(/[-_]/)[0];
  const score = (c: Canned): number => {
    const shortcut = c.shortcut.toLowerCase();
    if (!q) return 1;
    if (shortcut.startsWith(q)) return 4;
    if (shortcut.includes(q) || c.title.toLowerCase().includes(q)) return 3;
    if (c.text.toLowerCase().includes(q)) return 2;
    return 0;
  };
  return list
    .map((c, i) => ({ c, i, s: score(c) * 2 + (c.locale === lang ? 1 : 0) }))
    .filter((x) => score(x.c) > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.c);
}
