// Telling the agent that a chat arrived without taking the keyboard away:
// the page title (visible on a background tab) and a short chime made with
// WebAudio (no audio file to download or to be blocked by the CSP).

let audio: AudioContext | null = null;

/**
 * Browsers only let a page make sound after a user gesture. Create the audio
 * context on the first key or click so that later chimes (which arrive with
 * no gesture) can play.
 */
export function armSound(): void {
  const arm = () => {
    try {
      audio ??= new AudioContext();
      void audio.resume();
    } catch {
      /* no WebAudio: the title still changes */
    }
  };
  window.addEventListener("pointerdown", arm, { once: true, capture: true });
  window.addEventListener("keydown", arm, { once: true, capture: true });
}

/** Two short soft tones; silent when the page has not been interacted with yet. */
export function chime(): void {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    if (ctx.state === "suspended") void ctx.resume();
    const now = ctx.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = now + i * 0.12;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    }
  } catch {
    /* sound is a courtesy; the title and the highlighted tab carry the news */
  }
}

/** "● New chat · (3) tsunagu console": new chats first, then unread visitor messages. */
export function pageTitle(base: string, newLabel: string, fresh: number, unread: number): string {
  return `${fresh > 0 ? `● ${newLabel} · ` : ""}${unread > 0 ? `(${unread}) ` : ""}${base}`;
}
