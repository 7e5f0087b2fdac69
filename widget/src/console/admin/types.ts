// Wire shapes of the admin HTTP API, as docs/admin.md names them (that file
// is the contract with the gateway). Nullable where the contract says so.

export type Locale2 = "ja" | "en";
export type PerLocale<T> = { ja: T; en: T };

export interface QuickReplyRow {
  title: string;
  payload: string;
}

export interface Answer {
  text: string;
  quick_replies: QuickReplyRow[];
}

export interface IntentSummary {
  name: string;
  revision: number;
  examples: PerLocale<number>;
  labels: Partial<PerLocale<string>>;
  responses: PerLocale<Answer | null>;
  updated_at: string;
}

export interface Example {
  id: number | string;
  intent: string;
  locale: string;
  text: string;
  source: "seed" | "admin" | "inbox" | "import" | string;
  message_id: string | null;
  created_at: string;
}

export interface Intent extends IntentSummary {
  examples_list: Example[];
}

export interface Skipped {
  text: string;
  reason: "other_intent" | "duplicate" | string;
  intent?: string;
}

export interface ExamplesAdded {
  intent: Intent;
  added: Example[];
  skipped: Skipped[];
}

export interface GroupExample {
  message_id: string;
  text: string;
  locale: string;
  intent: string | null;
  confidence: number | null;
  reason: string;
  ts: string;
  conversation_id: string;
}

export interface Group {
  id: string;
  size: number;
  suggested_intent: string | null;
  locales: Partial<PerLocale<number>>;
  first_seen: string;
  last_seen: string;
  guesses: { intent: string; confidence: number }[];
  examples: GroupExample[];
}

export type JobState = "queued" | "running" | "done" | "failed";

export interface Job {
  id: string | number;
  state: JobState | string;
  stage: string;
  progress: number;
  error: string | null;
  version: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface Figures {
  in_scope_accuracy: number;
  accuracy_by_language: Partial<PerLocale<number | null>>;
  oos_recall: number | null;
  examples: number;
  folds: number;
}

export interface IntentF1 {
  intent: string;
  f1_active: number | null;
  f1_candidate: number | null;
  delta: number | null;
  regression: boolean;
}

export interface ReplayChange {
  message_id: string;
  text: string;
  old_intent: string | null;
  new_intent: string | null;
  old_confidence: number | null;
  new_confidence: number | null;
}

export interface GateReport {
  passed: boolean;
  reasons: string[];
  max_drop_points: number;
  active_version: string | null;
  candidate: Figures;
  active: Figures | null;
  per_intent: IntentF1[];
  replay: { days: number; messages: number; changed: number; changes: ReplayChange[] };
}

export interface Who {
  id: string;
  name: string;
}

export interface Model {
  version: string;
  active: boolean;
  created_at: string;
  created_by: Who | null;
  examples: number;
  intents: number;
  /** Not spelled out by the contract: read as Figures where the fields are there. */
  evaluation: Partial<Figures> | null;
  /** Cross-validated figures, once a training job computed them. */
  cv?: Partial<Figures> | null;
  report: GateReport | null;
  activated_at: string | null;
}

export interface Problem {
  file: string;
  line: number | null;
  message: string;
}

export interface ImportResult {
  imported: { intents: number; examples: number; responses: number };
  warnings: Problem[];
}

export interface AuditEntry {
  id: number | string;
  actor: Who | null;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  created_at: string;
}

/** docs/protocol.md "Webhooks": a subscription (never its secret, only `secret_hint`). */
export interface Webhook {
  id: string;
  kind: "webhook" | "slack" | "teams" | string;
  url: string;
  events: string[];
  active: boolean;
  description: string | null;
  source: "admin" | "setting" | string;
  secret_hint: string;
  created_at: string;
  updated_at: string;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One delivery of the log; `body` (the exact text posted) only from GET …/{id}. */
export interface Delivery {
  id: number;
  subscription_id: string;
  event: string;
  event_id: string;
  conversation_id: string | null;
  status: DeliveryStatus | string;
  attempts: number;
  status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  failed_at: string | null;
  replay_of: number | null;
  body?: string;
}
