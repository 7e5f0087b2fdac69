// Message rendering shared by the widget and the agent console. Everything a
// person typed becomes text nodes; the only markup we create is <a> for
// http(s) URLs, built with DOM calls, so `<script>` or `onerror=` in a
// message is shown literally and never runs. innerHTML is never used here.

import { type Attachment, renderFiles } from "./attachments";
import type { Strings } from "./i18n";
import type { Message } from "./protocol";

// Stops before whitespace and before characters that rarely end a URL in prose.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCT = /[.,;:!?)\]}、。！？」』）]+$/;

/** Parses only http(s) URLs; javascript:, data: and friends stay plain text. */
function safeHref(candidate: string): string | null {
  try {
    const u = new URL(candidate);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

export type Segment = { text: string } | { text: string; href: string };

/** Splits text into plain runs and http(s) links (pure, so it is unit-tested without a DOM). */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    let url = match[0];
    const trail = TRAILING_PUNCT.exec(url);
    if (trail) url = url.slice(0, url.length - trail[0].length);
    const href = safeHref(url);
    if (!href) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** Text with http(s) links, as a fragment of text nodes and anchors. */
export function renderText(doc: Document, text: string): DocumentFragment {
  const frag = doc.createDocumentFragment();
  for (const seg of linkify(text)) {
    if (!("href" in seg)) {
      frag.append(doc.createTextNode(seg.text));
      continue;
    }
    const a = doc.createElement("a");
    a.href = seg.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = seg.text;
    frag.append(a);
  }
  return frag;
}

/** Who the visitor sees as the author of a message. */
export function authorLabel(m: Pick<Message, "sender" | "author">, t: Strings): string {
  switch (m.sender) {
    case "agent":
      return m.author?.name || t.agentFallback;
    case "bot":
      return t.bot;
    case "visitor":
      return t.you;
    default:
      return "";
  }
}

export function formatTime(iso: string | number, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

/**
 * One message row. `state` marks visitor messages that are still in the
 * outbox or that the gateway refused. `link` resolves the signed URL of each
 * of its files (images inline, PDFs as links).
 */
export function renderMessage(
  doc: Document,
  m: Pick<Message, "sender" | "author" | "text" | "image" | "custom"> & { ts: string | number; attachments?: Attachment[] },
  t: Strings,
  locale: string,
  link?: (id: string) => Promise<string | null>,
): HTMLElement {
  const row = doc.createElement("div");
  row.className = `msg msg-${m.sender}`;
  row.setAttribute("data-sender", m.sender);
  // A Rasa custom payload on its own is for the page's code (the widget's
  // tsunagu:custom event), not for the visitor: the row stays in the list,
  // so seq order holds, but shows nothing rather than an empty bubble.
  const image = m.image ? safeHref(m.image) : null;
  if (m.sender === "bot" && m.custom && !m.text && !image && !m.attachments?.length) {
    row.hidden = true;
    return row;
  }
  const label = authorLabel(m, t);
  if (label) {
    // The visitor's own name is only for screen readers ("You: …"); sighted
    // visitors know their bubbles by side and colour.
    const who = doc.createElement("div");
    who.className = m.sender === "visitor" ? "sr-only" : "msg-author";
    who.textContent = m.sender === "visitor" ? `${label}:` : label;
    row.append(who);
  }
  if (m.text || (!m.attachments?.length && !image)) {
    const bubble = doc.createElement("div");
    bubble.className = "msg-bubble";
    bubble.append(renderText(doc, m.text));
    row.append(bubble);
  }
  if (image) row.append(renderImage(doc, image, t.botImage));
  if (m.attachments?.length && link) row.append(renderFiles(doc, m.attachments, link, locale));
  const meta = doc.createElement("div");
  meta.className = "msg-meta";
  meta.textContent = formatTime(m.ts, locale);
  row.append(meta);
  return row;
}

/**
 * A bot's image (a Rasa assistant's `image:` response): an http(s) URL only,
 * set as a property, never markup; a click opens it in a new tab.
 */
function renderImage(doc: Document, href: string, alt: string): HTMLElement {
  const a = doc.createElement("a");
  a.className = "msg-image";
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  const img = doc.createElement("img");
  img.src = href;
  img.alt = alt;
  img.loading = "lazy";
  img.referrerPolicy = "no-referrer";
  a.append(img);
  return a;
}
