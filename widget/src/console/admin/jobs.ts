// Training job helpers (pure).

import type { Job } from "./types";

/** How often a running job is asked for its stage: the bar should move visibly. */
export const POLL_MS = 1_000;

export const STAGES = ["preparing", "cross_validating", "baseline", "training", "replaying", "storing", "done"];

export function isRunning(job: Pick<Job, "state"> | null | undefined): boolean {
  return !!job && (job.state === "queued" || job.state === "running");
}

/** progress 0..1 as a whole percentage for <progress>, clamped; a finished job is 100. */
export function percent(job: Pick<Job, "state" | "progress">): number {
  if (job.state === "done") return 100;
  const p = typeof job.progress === "number" && Number.isFinite(job.progress) ? job.progress : 0;
  return Math.max(0, Math.min(100, Math.round(p * 100)));
}
