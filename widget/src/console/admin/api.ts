// The admin HTTP API of docs/admin.md, through the console's request() so the
// cookie and the CSRF header are handled in one place.

import { request } from "../api";
import type { AuditEntry, Delivery, ExamplesAdded, Group, ImportResult, Intent, IntentSummary, Job, Model, Webhook } from "./types";
import type { ActivateBody, ExampleBody, ImportBody, NewIntentBody, UpdateIntentBody } from "./requests";

const enc = encodeURIComponent;

/** A query string without the empty parameters. */
function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const adminApi = {
  intents: (q = "") => request<{ intents: IntentSummary[] }>("GET", `/api/admin/intents${query({ q })}`),
  intent: (name: string) => request<{ intent: Intent }>("GET", `/api/admin/intents/${enc(name)}`),
  createIntent: (body: NewIntentBody) => request<{ intent: Intent }>("POST", "/api/admin/intents", body),
  updateIntent: (name: string, body: UpdateIntentBody) => request<{ intent: Intent }>("PUT", `/api/admin/intents/${enc(name)}`, body),
  deleteIntent: (name: string, revision: number) => request<object>("DELETE", `/api/admin/intents/${enc(name)}${query({ revision })}`),
  addExamples: (body: ExampleBody) => request<ExamplesAdded>("POST", "/api/admin/examples", body),
  deleteExample: (id: number | string) => request<{ intent: Intent }>("DELETE", `/api/admin/examples/${enc(String(id))}`),

  unmatched: (days?: number, locale?: string) => request<{ groups: Group[] }>("GET", `/api/admin/unmatched${query({ days, locale })}`),
  ignore: (message_ids: string[]) => request<{ ignored: number }>("POST", "/api/admin/unmatched/ignore", { message_ids }),

  train: () => request<{ job: Job }>("POST", "/api/admin/train", {}),
  job: (id: string | number) => request<{ job: Job }>("GET", `/api/admin/train/${enc(String(id))}`),
  jobs: () => request<{ jobs: Job[] }>("GET", "/api/admin/train"),
  models: () => request<{ active: string | null; models: Model[] }>("GET", "/api/admin/models"),
  activate: (version: string, body: ActivateBody) => request<{ active: string }>("POST", `/api/admin/models/${enc(version)}/activate`, body),

  importFiles: (body: ImportBody) => request<ImportResult>("POST", "/api/admin/import", body),
  audit: (action: string, before: string | number | null, target = "", limit = 100) =>
    request<{ entries: AuditEntry[] }>("GET", `/api/admin/audit${query({ action, target, limit, before })}`),

  webhooks: () => request<{ webhooks: Webhook[] }>("GET", "/api/admin/webhooks"),
  createWebhook: (body: { url: string; kind: string; events: string[]; description?: string }) =>
    request<{ webhook: Webhook; secret: string }>("POST", "/api/admin/webhooks", body),
  updateWebhook: (id: string, body: { events?: string[]; active?: boolean }) =>
    request<{ webhook: Webhook }>("PUT", `/api/admin/webhooks/${enc(id)}`, body),
  deleteWebhook: (id: string) => request<object>("DELETE", `/api/admin/webhooks/${enc(id)}`),
  deliveries: (subscription: string, status: string, before: number | null, limit = 50) =>
    request<{ deliveries: Delivery[] }>("GET", `/api/admin/webhook-deliveries${query({ subscription, status, before, limit })}`),
  delivery: (id: number) => request<{ delivery: Delivery }>("GET", `/api/admin/webhook-deliveries/${id}`),
  replay: (id: number) => request<{ delivery: Delivery }>("POST", `/api/admin/webhook-deliveries/${id}/replay`, {}),
};

/** Any agent flags a visitor message the bot should have answered (it joins the inbox). */
export const flagMessage = (id: string) => request<object>("POST", `/api/messages/${enc(id)}/flag`, {});

export const EXPORT_URL = "/api/admin/export";
