// Reads the embed options from the <script> tag's data attributes. The tag
// is also where the widget learns its gateway: Socket.IO lives on the same
// origin (and under the same path prefix) as widget.js itself, so a site
// owner pastes one line and configures nothing else.

import { asLocale, type Locale, pickLocale } from "../shared/i18n";
import type { Identity, Prechat } from "../shared/protocol";

export type Position = "bottom-right" | "bottom-left";

export interface WidgetConfig {
  title: string | null;
  color: string;
  position: Position;
  /** The language to start in: the browser's, else the site's data-locale (see pickLocale). */
  locale: Locale;
  /** data-locale-fixed: the site pins `locale`; what the visitor writes does not change it. */
  localeFixed: boolean;
  greeting: string | null;
  /** Longest message text the gateway accepts (its TSUNAGU_MAX_TEXT), in characters. */
  maxText: number;
  /** Seconds without input or focus on the page after which the agent sees the visitor idle. */
  idleAfter: number;
  /** Gateway origin, e.g. https://chat.example.com */
  origin: string;
  /** Socket.IO path on the gateway, e.g. /socket.io/ */
  path: string;
  /** host part used to namespace localStorage keys */
  gatewayHost: string;
  /** data-prechat: this page's pre-chat form, instead of the gateway's TSUNAGU_PRECHAT. */
  prechat: Prechat | null;
  /** data-user-id, -name, -email, -hmac: the logged-in user the site signed for. */
  identity: Identity | null;
}

const DEFAULT_COLOR = "#2f6f5e";
/** The gateway's default TSUNAGU_MAX_TEXT; `session` does not say the real one. */
const DEFAULT_MAX_TEXT = 2000;
const DEFAULT_IDLE_AFTER_S = 60;

/** Only values the browser accepts as a colour reach our stylesheet. */
function safeColor(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (v && v.length < 64 && typeof CSS !== "undefined" && CSS.supports("color", v)) return v;
  return DEFAULT_COLOR;
}

/** data-max-text: for a gateway whose TSUNAGU_MAX_TEXT is not the default. */
function maxText(value: string | undefined): number {
  const n = Number((value ?? "").trim());
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : DEFAULT_MAX_TEXT;
}

/** data-idle-after: seconds (1 to a day); anything else is the default, 60. */
function idleAfter(value: string | undefined): number {
  const n = Number((value ?? "").trim());
  return Number.isFinite(n) && n >= 1 && n <= 86_400 ? n : DEFAULT_IDLE_AFTER_S;
}

function nonEmpty(value: string | undefined): string | null {
  const v = (value ?? "").trim();
  return v ? v : null;
}

/**
 * data-prechat: "name,email*" asks both, the e-mail required; "off" asks
 * nothing; absent or unreadable, the gateway's setting decides (null).
 */
export function readPrechat(value: string | undefined): Prechat | null {
  const text = (value ?? "").trim().toLowerCase();
  if (!text) return null;
  if (text === "off" || text === "none") return { fields: [], required: [] };
  const fields: string[] = [];
  const required: string[] = [];
  for (const part of text.split(",")) {
    const name = part.trim().replace(/\*$/, "").trim();
    if (name !== "name" && name !== "email") return null;
    if (!fields.includes(name)) fields.push(name);
    if (part.trim().endsWith("*") && !required.includes(name)) required.push(name);
  }
  return { fields, required };
}

function readIdentity(data: DOMStringMap): Identity | null {
  const userId = nonEmpty(data.userId);
  const hmac = nonEmpty(data.userHmac);
  if (!userId || !hmac) return null;
  const identity: Identity = { user_id: userId, hmac };
  // Sent exactly as signed: the gateway checks the HMAC over these texts.
  if (data.userName !== undefined) identity.name = data.userName;
  if (data.userEmail !== undefined) identity.email = data.userEmail;
  return identity;
}

/**
 * data-locale is the site's default; data-locale-fixed (present, not "false")
 * pins the widget to it, or to its own value when that is "ja" or "en".
 */
function locale(data: DOMStringMap): { locale: Locale; localeFixed: boolean } {
  const browser = navigator.languages?.length ? navigator.languages : [navigator.language];
  const fixed = data.localeFixed !== undefined && data.localeFixed.trim().toLowerCase() !== "false";
  if (fixed) {
    return { locale: asLocale(data.localeFixed) ?? asLocale(data.locale) ?? pickLocale(browser), localeFixed: true };
  }
  return { locale: pickLocale(browser, data.locale), localeFixed: false };
}

export function readConfig(script: HTMLScriptElement | null, page: Location): WidgetConfig {
  const data = script?.dataset ?? {};
  // data-server lets a page load widget.js from a CDN but talk to another host.
  const src = nonEmpty(data.server) ?? script?.src ?? page.href;
  let base: URL;
  try {
    base = new URL(src, page.href);
  } catch {
    base = new URL(page.href);
  }
  // "/widget.js" -> "/socket.io/"; "/support/widget.js" -> "/support/socket.io/"
  const dir = base.pathname.endsWith("/") ? base.pathname : base.pathname.replace(/[^/]*$/, "");
  return {
    title: nonEmpty(data.title),
    color: safeColor(data.color),
    position: data.position === "bottom-left" ? "bottom-left" : "bottom-right",
    ...locale(data),
    greeting: nonEmpty(data.greeting),
    maxText: maxText(data.maxText),
    idleAfter: idleAfter(data.idleAfter),
    origin: base.origin,
    path: `${dir}socket.io/`,
    gatewayHost: base.host,
    prechat: readPrechat(data.prechat),
    identity: readIdentity(data),
  };
}
