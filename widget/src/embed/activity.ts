// Tells whether the visitor is at the page: after `idleAfterMs` without
// input (keys, pointer, touch, wheel) or focus on it, they are idle; the next
// input or focus makes them active again. Only the transitions are reported,
// so the gateway (and the agent's console) hears of each once.

/** Events that show someone is at the page; composed, so the shadow root's count too. */
const ACTIVITY_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "focus"] as const;

export class ActivityWatch {
  private idle = false;
  private last = Date.now();

  constructor(
    private readonly idleAfterMs: number,
    private readonly report: (idle: boolean) => void,
  ) {
    // Input only stamps the time (pointermove fires often); the timer looks at it.
    const active = () => this.active();
    for (const name of ACTIVITY_EVENTS) window.addEventListener(name, active, { capture: true, passive: true });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.active();
    });
    this.wait(idleAfterMs);
  }

  private active(): void {
    this.last = Date.now();
    if (!this.idle) return;
    this.idle = false;
    this.report(false);
    this.wait(this.idleAfterMs);
  }

  private wait(ms: number): void {
    setTimeout(() => {
      const quiet = Date.now() - this.last;
      if (quiet < this.idleAfterMs) return this.wait(this.idleAfterMs - quiet);
      this.idle = true;
      this.report(true);
    }, ms);
  }
}
