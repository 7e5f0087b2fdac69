// What every part of the Reports page needs: its texts, the page language and
// the number formatting that goes with it.

import type { ConsoleStrings } from "../i18n";
import { type Formatter, formatter } from "./format";
import type { ReportStrings } from "./strings";

export interface ReportContext {
  t: ReportStrings;
  locale: string;
  f: Formatter;
}

export function reportContext(t: ConsoleStrings, locale: string): ReportContext {
  return { t: t.reports, locale, f: formatter(locale, t.reports.units) };
}

/** Colours of the series (distinct in grey too: the second of a pair is dashed). */
export const COLORS = {
  conversations: "#2f6f5e",
  deflection: "#1d5a8a",
  bot: "#6b5bb5",
  human: "#2f6f5e",
  wait: "#b7791f",
  fallback: "#c2410c",
  escalation: "#7a1d13",
};
