// The reports API's shapes (docs/metrics.md, "HTTP API"). Every figure may
// be null: an empty set has no median, a window with no escalation no rate.

export type Num = number | null;

export interface IntentRow {
  intent: string | null;
  conversations: number;
  deflection: Num;
  escalated: number;
  unresolved: number;
  csat_mean: Num;
}

export interface AgentReportRow {
  agent_id: string;
  name: string;
  chats: number;
  human_frt_p50_s: Num;
  aht_p50_s: Num;
  csat_mean: Num;
  utilisation: Num;
}

export interface LocaleRow {
  locale: string | null;
  conversations: number;
  deflection: Num;
}

/** Waits up to `le_s` seconds (above the previous bucket); `null` is the open-ended last one. */
export interface WaitBucket {
  le_s: Num;
  count: number;
}

export interface Summary {
  since: string;
  until: string;
  tz: string;
  conversations: number;
  outcomes: Record<"resolved_by_bot" | "escalated" | "abandoned_with_bot" | "unresolved" | "none", number>;
  deflection: Num;
  bot_frt_p50_s: Num;
  bot_frt_p90_s: Num;
  human_frt_p50_s: Num;
  human_frt_p90_s: Num;
  wait_p50_s: Num;
  wait_p90_s: Num;
  answer_rate: Num;
  abandonment_rate: Num;
  abandon_wait_p50_s: Num;
  aht_p50_s: Num;
  aht_p90_s: Num;
  active_handle_p50_s: Num;
  resolution_p50_s: Num;
  csat_mean: Num;
  csat_share_4_5: Num;
  csat_responses: number;
  csat_response_rate: Num;
  fcr: Num;
  contact_rate: Num;
  by_intent: IntentRow[];
  by_agent: AgentReportRow[];
  by_locale: LocaleRow[];
  wait_histogram: WaitBucket[];
}

export type SeriesMetric =
  | "conversations"
  | "deflection"
  | "bot_frt_p50_s"
  | "human_frt_p50_s"
  | "wait_p50_s"
  | "answer_rate"
  | "abandonment_rate"
  | "aht_p50_s"
  | "csat_mean";

export type Interval = "hour" | "day" | "week";

export interface Point {
  /** ISO start of the bucket in the report's time zone. */
  t: string;
  value: Num;
}

export interface Series {
  metric: SeriesMetric;
  interval: Interval;
  tz: string;
  points: Point[];
}

export interface ThresholdPoint {
  threshold: number;
  fallback_share: Num;
  /** Overall points only (an intent's points carry the fallback share alone). */
  escalation_share?: Num;
}

export interface ThresholdIntent {
  intent: string | null;
  messages: number;
  fallback_share_at_current: Num;
  points: ThresholdPoint[];
}

export interface Thresholds {
  /** The active model's threshold; null when the gateway does not know it. */
  current: Num;
  messages: number;
  points: ThresholdPoint[];
  by_intent: ThresholdIntent[];
}
