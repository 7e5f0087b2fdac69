// A gate report as rows for the tables of the Training tab (pure).

import { DASH, f1, pct1, points, signed } from "./format";
import type { Figures, GateReport, Model } from "./types";

export type FigureKey = "in_scope" | "ja" | "en" | "oos" | "examples" | "folds";

export interface FigureRow {
  key: FigureKey;
  active: string;
  candidate: string;
  delta: string;
  /** The candidate is lower (a share) — worth a colour, not necessarily a refusal. */
  worse: boolean;
}

function share(key: FigureKey, f: Figures | null): number | null {
  if (!f) return null;
  switch (key) {
    case "in_scope":
      return f.in_scope_accuracy ?? null;
    case "ja":
    case "en":
      return f.accuracy_by_language?.[key] ?? null;
    case "oos":
      return f.oos_recall ?? null;
    default:
      return null;
  }
}

export function figureRows(r: GateReport): FigureRow[] {
  const rows: FigureRow[] = (["in_scope", "ja", "en", "oos"] as const).map((key) => {
    const c = share(key, r.candidate);
    const a = share(key, r.active);
    const d = points(c, a);
    return { key, active: pct1(a), candidate: pct1(c), delta: d.text, worse: d.value !== null && d.value < 0 };
  });
  for (const key of ["examples", "folds"] as const) {
    const c = r.candidate?.[key];
    const a = r.active?.[key];
    const num = (x: number | undefined) => (typeof x === "number" ? String(x) : DASH);
    rows.push({ key, active: num(a), candidate: num(c), delta: typeof a === "number" && typeof c === "number" ? signed(c - a, 0) : DASH, worse: false });
  }
  return rows;
}

export interface IntentRow {
  intent: string;
  active: string;
  candidate: string;
  delta: string;
  regression: boolean;
  /** Only in the candidate, or only in the active model. */
  only: "candidate" | "active" | null;
}

/** Regressions first (the largest drop on top), then the rest by name. */
export function intentRows(r: GateReport): IntentRow[] {
  const list = [...(r.per_intent ?? [])];
  list.sort((a, b) => {
    if (a.regression !== b.regression) return a.regression ? -1 : 1;
    if (a.regression) return (a.delta ?? 0) - (b.delta ?? 0);
    return a.intent.localeCompare(b.intent);
  });
  return list.map((x) => ({
    intent: x.intent,
    active: f1(x.f1_active),
    candidate: f1(x.f1_candidate),
    delta: signed(x.delta, 2),
    regression: !!x.regression,
    only: x.f1_active === null && x.f1_candidate !== null ? "candidate" : x.f1_candidate === null && x.f1_active !== null ? "active" : null,
  }));
}

/** What the version's button does: nothing (it is active), a rollback (it was active before, no reason needed) or an activation. */
export function modelAction(m: Pick<Model, "active" | "activated_at">): "none" | "rollback" | "activate" {
  if (m.active) return "none";
  return m.activated_at ? "rollback" : "activate";
}

/** The refusal's report from a 409 gate_refused body, else the one already loaded. */
export function refusalReport(data: Record<string, unknown> | null | undefined, fallback: GateReport | null): GateReport | null {
  const r = data?.report;
  return r && typeof r === "object" ? (r as GateReport) : fallback;
}
