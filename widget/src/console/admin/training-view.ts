// The Training tab: start a training job and follow it (its GET is polled
// every second while it runs and the tab is shown), the model versions with
// their figures, the chosen version's gate report, and import/export.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { DASH, pct1, when } from "./format";
import { GateView } from "./gate-view";
import { importExport } from "./import-view";
import { POLL_MS, isRunning, percent } from "./jobs";
import type { Job, Model } from "./types";
import { Status, button, row, table } from "./ui";

export class TrainingPanel {
  readonly element: HTMLElement;
  private readonly trainBtn: HTMLButtonElement;
  private readonly job: HTMLElement;
  private readonly versions: HTMLElement;
  private readonly gate: GateView;
  private readonly status = new Status();
  private models: Model[] = [];
  private selected: string | null = null;
  private shown = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly t: ConsoleStrings,
    private readonly locale: string,
  ) {
    const a = t.admin;
    this.trainBtn = button(a.train, "train", { class: "primary" });
    this.trainBtn.addEventListener("click", () => void this.train());
    this.job = h("div", { class: "job", hidden: true });
    this.versions = h("div", { class: "versions" });
    this.gate = new GateView(t, (v) => void this.afterActivation(v));
    this.element = h(
      "div",
      { class: "admin-training" },
      h("p", { class: "intro" }, a.trainIntro),
      h("div", { class: "row toolbar" }, this.trainBtn),
      this.job,
      this.status.element,
      h("h3", {}, a.versions),
      this.versions,
      this.gate.element,
      importExport(t),
    );
  }

  show(): void {
    this.shown = true;
    void this.loadModels();
    void adminApi.jobs().then((r) => {
      const newest = r.ok ? r.jobs[0] : undefined;
      if (newest && this.shown) this.follow(newest);
    });
  }

  hide(): void {
    this.shown = false;
    clearTimeout(this.timer);
  }

  private async train(): Promise<void> {
    // aria-disabled while a job runs (set by follow); a disabled button would drop the focus.
    if (this.trainBtn.getAttribute("aria-disabled") === "true") return;
    this.trainBtn.setAttribute("aria-disabled", "true");
    const r = await adminApi.train();
    if (!r.ok) {
      this.trainBtn.removeAttribute("aria-disabled");
      return this.status.say(this.t.refused + r.message, true);
    }
    this.status.clear();
    this.follow(r.job);
  }

  /** Shows a job and, while it runs, asks for it again in a second. */
  private follow(job: Job): void {
    clearTimeout(this.timer);
    this.renderJob(job);
    const running = isRunning(job);
    if (running) this.trainBtn.setAttribute("aria-disabled", "true");
    else this.trainBtn.removeAttribute("aria-disabled");
    if (running && this.shown) {
      this.timer = setTimeout(() => {
        void adminApi.job(job.id).then((r) => {
          if (!this.shown) return;
          if (!r.ok) {
            this.status.say(this.t.refused + r.message, true);
            this.follow(job);
            return;
          }
          const was = job.state;
          this.follow(r.job);
          if (r.job.state === "done" && was !== "done") {
            this.status.say(this.t.admin.jobDone(r.job.version ?? DASH));
            void this.loadModels(r.job.version);
          }
        });
      }, POLL_MS);
    }
  }

  private renderJob(job: Job): void {
    const a = this.t.admin;
    const pct = percent(job);
    const stage = a.stages[job.state === "queued" || job.state === "failed" || job.state === "done" ? job.state : job.stage] ?? job.stage;
    const key = `${job.id}|${job.state}|${stage}`;
    this.job.hidden = false;
    this.job.dataset.jobState = job.state;
    this.job.dataset.jobId = String(job.id);
    // Rebuilt only when the stage changes, so the live region speaks once per stage, not every second.
    if (this.job.dataset.key !== key) {
      this.job.dataset.key = key;
      this.job.replaceChildren(
        h("h3", {}, a.jobTitle),
        h("p", { class: "stage", "aria-live": "polite" }, stage),
        h("progress", { max: "100", value: String(pct), "aria-label": a.jobTitle }),
        h("span", { class: "pct" }, `${pct}%`),
      );
      if (job.state === "failed") this.job.append(h("p", { class: "admin-error", role: "alert" }, a.jobFailed + (job.error ?? DASH)));
    }
    this.job.querySelector("progress")?.setAttribute("value", String(pct));
    const label = this.job.querySelector(".pct");
    if (label) label.textContent = `${pct}%`;
  }

  private async loadModels(select: string | null = this.selected): Promise<void> {
    const r = await adminApi.models();
    if (!r.ok) return this.status.say(this.t.refused + r.message, true);
    this.models = r.models;
    this.renderVersions();
    const chosen = this.models.find((m) => m.version === select);
    if (chosen) this.select(chosen, false);
  }

  private renderVersions(): void {
    const a = this.t.admin;
    if (this.models.length === 0) {
      this.versions.replaceChildren(h("p", { class: "empty" }, a.noModels));
      return;
    }
    const rows = this.models.map((m) => {
      const pick = button(m.version, "report", { "aria-pressed": String(m.version === this.selected) });
      pick.addEventListener("click", () => this.select(m, true));
      // Cross-validated figures (what the gate compares) when the version has them.
      const ev = m.cv ?? m.report?.candidate ?? m.evaluation ?? null;
      return row(
        [
          [pick, m.active ? h("span", { class: "tag active-tag" }, a.active) : null],
          when(m.created_at, this.locale),
          m.created_by?.name ?? DASH,
          String(m.examples ?? DASH),
          String(m.intents ?? DASH),
          pct1(ev?.in_scope_accuracy),
          pct1(ev?.oos_recall),
        ],
        { "data-version": m.version, "data-active": String(m.active), class: m.active ? "active" : undefined },
      );
    });
    this.versions.replaceChildren(table([a.version, a.createdAt, a.by, a.exampleCount, a.intentCount, a.accuracy, a.oosRecall], rows, { class: "admin-table versions-table" }));
  }

  private select(m: Model, focus: boolean): void {
    this.selected = m.version;
    for (const b of this.versions.querySelectorAll<HTMLElement>("[data-action=report]")) b.setAttribute("aria-pressed", String(b.closest("tr")?.dataset.version === m.version));
    this.gate.show(m);
    if (focus) this.gate.focus();
  }

  private async afterActivation(version: string): Promise<void> {
    this.status.say(this.t.admin.activated(version));
    await this.loadModels(version);
    this.status.element.focus();
  }
}
