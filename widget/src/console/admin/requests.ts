// The bodies the admin pages send, built and checked here (no DOM) so the
// rules of docs/admin.md are unit-tested: names, the out_of_scope label,
// which answers an edit sends, and which revision an edit is based on.

import type { Answer, PerLocale, QuickReplyRow } from "./types";

export const INTENT_NAME = /^[a-z][a-z0-9_]{1,63}$/;
/** Labelling with this intent is "mark out of scope". */
export const OUT_OF_SCOPE = "out_of_scope";
export const LOCALES = ["ja", "en"] as const;
/** The gateway's limits on an answer's buttons. */
export const MAX_QUICK_REPLIES = 8;

export interface NewIntentBody {
  name: string;
  responses: PerLocale<string>;
  message_ids?: string[];
}

export type ExampleBody =
  | { intent: string; locale: string; text: string; revision?: number }
  | { intent: string; message_ids: string[]; revision?: number };

export interface UpdateIntentBody {
  revision: number;
  responses?: Partial<PerLocale<Answer>>;
  labels?: Partial<PerLocale<string>>;
}

export interface ActivateBody {
  reason?: string;
}

export interface ImportBody {
  files: { name: string; content: string }[];
}

/** Why a form cannot be sent yet (an i18n key), or null when it can. */
export type Problem = "name" | "answers" | "checked" | "text" | "qrRow" | "answerText" | "reason" | "files" | null;

export function nameProblem(name: string): Problem {
  return INTENT_NAME.test(name.trim()) ? null : "name";
}

export function assignBody(intent: string, messageIds: string[]): ExampleBody {
  return { intent: intent.trim(), message_ids: [...messageIds] };
}

export function outOfScopeBody(messageIds: string[]): ExampleBody {
  return assignBody(OUT_OF_SCOPE, messageIds);
}

/** Kana or kanji make a text Japanese; the add-example form preselects it. */
export function guessLocale(text: string): "ja" | "en" {
  return /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]/.test(text) ? "ja" : "en";
}

export function exampleBody(intent: string, locale: string, text: string): ExampleBody {
  return { intent, locale, text: text.trim() };
}

/** A new intent needs a valid name and the answer in both languages. */
export function newIntentProblem(name: string, ja: string, en: string): Problem {
  if (nameProblem(name)) return "name";
  if (!ja.trim() || !en.trim()) return "answers";
  return null;
}

export function newIntentBody(name: string, ja: string, en: string, messageIds: string[] = []): NewIntentBody {
  const body: NewIntentBody = { name: name.trim(), responses: { ja: ja.trim(), en: en.trim() } };
  if (messageIds.length > 0) body.message_ids = [...messageIds];
  return body;
}

/** What the editor holds for one language. */
export interface AnswerDraft {
  text: string;
  quick_replies: QuickReplyRow[];
  label: string;
}

function cleanRows(rows: QuickReplyRow[]): QuickReplyRow[] {
  return rows.map((r) => ({ title: r.title.trim(), payload: r.payload.trim() })).filter((r) => r.title || r.payload);
}

/** A button needs both its title and its payload; a language that is sent needs its text. */
export function answerProblem(drafts: PerLocale<AnswerDraft>, loaded: Loaded): Problem {
  for (const l of LOCALES) if (cleanRows(drafts[l].quick_replies).some((r) => !r.title || !r.payload)) return "qrRow";
  const sent = updateIntentBody(0, drafts, loaded).responses ?? {};
  if (LOCALES.some((l) => sent[l] && !sent[l]!.text)) return "answerText";
  return null;
}

type Loaded = { responses: PerLocale<Answer | null>; labels: Partial<PerLocale<string>> };

/**
 * The PUT body of an edit. A language is sent when it had an answer or now
 * has one: an intent without an English answer is not given an empty one
 * just because the form was saved. The same goes for labels.
 */
export function updateIntentBody(
  revision: number,
  drafts: PerLocale<AnswerDraft>,
  loaded: Loaded,
): UpdateIntentBody {
  const responses: Partial<PerLocale<Answer>> = {};
  const labels: Partial<PerLocale<string>> = {};
  for (const l of LOCALES) {
    const d = drafts[l];
    const rows = cleanRows(d.quick_replies);
    if (loaded.responses[l] !== null || d.text.trim() || rows.length > 0) responses[l] = { text: d.text.trim(), quick_replies: rows };
    const label = d.label.trim();
    if ((loaded.labels[l] ?? "") !== "" || label) labels[l] = label;
  }
  return { revision, responses, labels };
}

/**
 * The revision an unsaved edit is based on after one of our own changes to
 * the examples came back as `returned`. One step on is our change alone, so
 * the edit follows it; a larger jump means someone else changed the intent
 * too, and the edit keeps its old base so Save meets a 409, not an overwrite.
 */
export function nextRevision(base: number, returned: number): number {
  return returned === base + 1 ? returned : base;
}

export function activateBody(reason = ""): ActivateBody {
  const r = reason.trim();
  return r ? { reason: r } : {};
}

export function isYaml(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

export function importBody(files: { name: string; content: string }[]): ImportBody {
  return { files: files.filter((f) => isYaml(f.name)).map((f) => ({ name: f.name, content: f.content })) };
}
