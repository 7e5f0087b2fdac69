// One model version in the Training tab: its gate report (candidate beside
// the active model, per-intent F1 with regressions on top, the replay of
// recent messages) and the button that activates it or rolls back to it.
// A refused candidate is activated only with a reason, which is audited.

import { h } from "../../shared/dom";
import type { ConsoleStrings } from "../i18n";
import { adminApi } from "./api";
import { DASH, pct0 } from "./format";
import { figureRows, intentRows, modelAction, refusalReport } from "./gate-report";
import { activateBody } from "./requests";
import type { GateReport, Model } from "./types";
import { Status, busy, button, field, onEscape, row, table } from "./ui";

export class GateView {
  readonly element = h("section", { class: "gate", "aria-labelledby": "gate-title", hidden: true });
  private readonly status = new Status();

  constructor(
    private readonly t: ConsoleStrings,
    /** A version became active: the list must be re-read. */
    private readonly activated: (version: string) => void,
  ) {}

  show(model: Model): void {
    const a = this.t.admin;
    const r = model.report;
    this.status.clear();
    this.element.hidden = false;
    this.element.dataset.gateReport = model.version;
    this.element.replaceChildren(
      h("h3", { id: "gate-title", tabindex: "-1" }, a.report(model.version)),
      r ? this.verdict(r) : h("p", { class: "empty" }, a.noReport),
      this.actions(model),
      this.status.element,
      ...(r ? this.report(r) : []),
    );
  }

  focus(): void {
    this.element.querySelector<HTMLElement>("#gate-title")?.focus();
  }

  private verdict(r: GateReport): HTMLElement {
    const a = this.t.admin;
    return h(
      "div",
      { class: `verdict ${r.passed ? "passed" : "refused"}`, "data-passed": String(r.passed) },
      h("p", {}, r.passed ? a.passed : a.refused),
      r.reasons.length ? h("ul", {}, ...r.reasons.map((x) => h("li", {}, x))) : null,
    );
  }

  private report(r: GateReport): HTMLElement[] {
    const a = this.t.admin;
    const figures = table(
      ["", a.activeModel(r.active_version), a.candidate, a.difference],
      figureRows(r).map((f) => row([a.figures[f.key] ?? f.key, f.active, f.candidate, f.delta], { "data-figure": f.key, class: f.worse ? "worse" : undefined })),
      { class: "admin-table figures-table" },
    );
    const intents = table(
      [a.intent, a.f1Active, a.f1Candidate, a.delta],
      intentRows(r).map((x) =>
        row(
          [
            [x.intent, x.regression ? h("span", { class: "tag bad" }, a.regression) : null, x.only ? h("span", { class: "tag" }, x.only === "candidate" ? a.onlyCandidate : a.onlyActive) : null],
            x.active,
            x.candidate,
            x.delta,
          ],
          { "data-intent": x.intent, class: x.regression ? "regression" : undefined },
        ),
      ),
      { class: "admin-table f1-table" },
    );
    const rp = r.replay;
    const changes = rp.changes.length
      ? table(
          [a.message, a.activeModel(r.active_version), a.candidate],
          rp.changes.map((c) => row([h("span", { class: "text" }, c.text), `${c.old_intent ?? DASH} ${pct0(c.old_confidence)}`, `→ ${c.new_intent ?? DASH} ${pct0(c.new_confidence)}`], { "data-message-id": c.message_id })),
          { class: "admin-table replay-table" },
        )
      : null;
    return [
      figures,
      h("h4", {}, a.perIntent),
      intents,
      h("h4", {}, a.replayTitle),
      h("p", { class: "replay-summary", "data-changed": String(rp.changed), "data-messages": String(rp.messages) }, a.replay(rp.changed, rp.messages, rp.days)),
      ...(changes ? [changes] : []),
    ];
  }

  private actions(model: Model): HTMLElement {
    const a = this.t.admin;
    const kind = modelAction(model);
    if (kind === "none") return h("p", { class: "tag active-tag" }, a.active);
    const go = button(kind === "rollback" ? a.rollback : a.activate, kind, { class: "primary" });
    const reason = h("textarea", { name: "reason", rows: "2", required: true });
    const refusal = h("div", { class: "refusal-reasons" });
    const anyway = h("button", { type: "submit", "data-action": "activate-anyway", class: "danger" }, a.activateAnyway);
    const cancel = button(a.cancel, "cancel");
    const ask = h("form", { class: "ask-reason", hidden: true }, h("p", {}, a.askReason), refusal, field(a.reason, reason), h("div", { class: "row" }, anyway, cancel));
    const close = () => {
      ask.hidden = true;
      go.hidden = false;
      go.focus();
    };
    const open = (refused: Refusal) => {
      refusal.replaceChildren(h("p", {}, refused.message), h("ul", {}, ...refused.reasons.map((x) => h("li", {}, x))));
      go.hidden = true;
      ask.hidden = false;
      reason.focus();
    };
    cancel.addEventListener("click", close);
    onEscape(ask, close);
    go.addEventListener("click", () => void busy(go, () => this.activate(model, "")).then((refused) => refused && open(refused)));
    ask.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        this.status.say(a.problems.reason ?? "", true);
        reason.focus();
        return;
      }
      void busy(anyway, () => this.activate(model, reason.value)).then((refused) => refused && open(refused));
    });
    return h("div", { class: "gate-actions" }, go, ask);
  }

  /** Activates; a gate refusal comes back for the reason form, other errors are shown here. */
  private async activate(model: Model, reason: string): Promise<Refusal | null> {
    const r = await adminApi.activate(model.version, activateBody(reason));
    if (r.ok) {
      this.activated(r.active);
      return null;
    }
    if (r.status === 409 && r.error === "gate_refused") {
      this.status.clear();
      return { message: r.message, reasons: refusalReport(r.data, model.report)?.reasons ?? [] };
    }
    this.status.say(this.t.refused + r.message, true);
    return null;
  }
}

interface Refusal {
  message: string;
  reasons: string[];
}
