// The console's HTTP calls. The session is the HttpOnly cookie (the page
// never sees the token); every state-changing call carries the CSRF value the
// gateway gave at login or in GET /api/auth/session, which another site's
// page cannot read. Errors come back as the gateway's {error, message}.

import type { AgentInfo, AgentMessage, AgentRow, Canned, ConversationRecord, ConversationSummary, InboxQuery, Overview, VisitorProfile } from "./types";

/** `data` is the whole error body: some refusals carry more (a gate report, import problems). */
export type ApiFailure = { ok: false; status: number; error: string; message: string; data?: Record<string, unknown> | null };
export type ApiResult<T> = ({ ok: true } & T) | ApiFailure;

/** What an admin writes for a canned response. */
export interface CannedDraft {
  shortcut: string;
  locale: string;
  title: string;
  text: string;
}

let csrf = "";

/** Remembers the CSRF value for later state-changing calls. */
export function useCsrf(value: string): void {
  csrf = value;
}

/** The CSRF value, for calls made outside :func:`request` (uploads). */
export function csrfToken(): string {
  return csrf;
}

export async function request<T extends object>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  try {
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const data = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (response.ok && data && data.ok) return data as { ok: true } & T;
    return {
      ok: false,
      status: response.status,
      error: String(data?.error ?? "unavailable"),
      message: String(data?.message ?? response.statusText),
      data,
    };
  } catch (e) {
    return { ok: false, status: 0, error: "unavailable", message: e instanceof Error ? e.message : "network error" };
  }
}

export const api = {
  login: (email: string, password: string) =>
    request<{ agent: AgentInfo; csrf: string }>("POST", "/api/auth/login", { email, password }),
  session: () => request<{ agent: AgentInfo; csrf: string }>("GET", "/api/auth/session"),
  logout: () => request<object>("POST", "/api/auth/logout"),
  agents: () => request<{ agents: AgentRow[] }>("GET", "/api/agents"),
  canned: (q: string, locale?: string) => {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (locale) params.set("locale", locale);
    return request<{ canned: Canned[] }>("GET", `/api/canned?${params.toString()}`);
  },
  /** Admins only (the gateway answers 403 otherwise). */
  cannedAdd: (body: CannedDraft) => request<{ canned: Canned }>("POST", "/api/canned", body),
  cannedUpdate: (id: number, body: CannedDraft) => request<{ canned: Canned }>("PUT", `/api/canned/${id}`, body),
  cannedDelete: (id: number) => request<object>("DELETE", `/api/canned/${id}`),
  overview: () => request<Overview>("GET", "/api/supervisor/overview"),
  /** The inbox: one page of conversations, newest first. */
  conversations: (query: InboxQuery, limit = 25) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
    params.set("limit", String(limit));
    return request<{ conversations: ConversationSummary[]; next_cursor: string | null }>("GET", `/api/conversations?${params.toString()}`);
  },
  conversation: (id: string) => request<ConversationRecord>("GET", `/api/conversations/${encodeURIComponent(id)}`),
  addTag: (id: string, tag: string) => request<{ tags: string[] }>("POST", `/api/conversations/${encodeURIComponent(id)}/tags`, { tag }),
  removeTag: (id: string, tag: string) => request<{ tags: string[] }>("DELETE", `/api/conversations/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`),
  /** An agent's reply to an ended conversation, e-mailed to the visitor; `clientId` makes a retry safe. */
  emailReply: (id: string, clientId: string, text: string) =>
    request<{ message: AgentMessage }>("POST", `/api/conversations/${encodeURIComponent(id)}/reply`, { client_id: clientId, text }),
  visitor: (id: string) => request<VisitorProfile>("GET", `/api/visitors/${encodeURIComponent(id)}`),
};
