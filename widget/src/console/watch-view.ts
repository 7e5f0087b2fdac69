// A supervisor's read-only view of one live chat: the transcript as it goes
// (messages, notes), a whisper to the agent (a note: the holder sees it, the
// visitor never does), take over (the supervisor becomes the holder; the chat
// then arrives in their own chats) and reassign to a chosen agent.

import { h } from "../shared/dom";
import type { Ack } from "../shared/protocol";
import type { Chat } from "./chat";
import { visitorLabel } from "./chat-view";
import { type ConsoleStrings, errorText } from "./i18n";
import { TranscriptView } from "./transcript-view";
import type { AgentRow } from "./types";

export interface WatchActions {
  whisper(text: string): Promise<Ack<object>>;
  takeover(): Promise<Ack<object>>;
  reassign(agentId: string): Promise<Ack<object>>;
  agents(): Promise<AgentRow[]>;
  stop(): void;
}

export class WatchView {
  readonly element: HTMLElement;
  private readonly transcript: TranscriptView;
  private readonly head: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly whisperText: HTMLTextAreaElement;
  private readonly reassignSelect: HTMLSelectElement;
  private readonly takeBtn: HTMLButtonElement;

  constructor(
    readonly chat: Chat,
    private readonly t: ConsoleStrings,
    locale: string,
    myId: string,
    private readonly actions: WatchActions,
  ) {
    const l = t.live;
    this.head = h("h3", {});
    this.facts = h("p", { class: "meta" });
    this.alert = h("p", { class: "error", role: "alert", hidden: true });
    this.transcript = new TranscriptView(t, locale, myId, l.watching);
    this.whisperText = h("textarea", { name: "whisper", rows: "2", placeholder: l.whisper, "aria-label": l.whisper, maxlength: "2000" });
    const whisperForm = h("form", { class: "whisper" }, this.whisperText, h("button", { type: "submit" }, l.sendWhisper));
    whisperForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = this.whisperText.value.trim();
      if (!text) return;
      void this.run(actions.whisper(text), () => (this.whisperText.value = ""));
    });
    this.takeBtn = h("button", { type: "button", class: "takeover primary", "data-action": "takeover" }, l.takeOver);
    this.takeBtn.addEventListener("click", () => void this.run(actions.takeover(), () => this.say(l.tookOver, false)));
    this.reassignSelect = h("select", { name: "reassign", "aria-label": l.reassign });
    const reassignForm = h("form", { class: "reassign" }, this.reassignSelect, h("button", { type: "submit" }, l.reassignGo));
    reassignForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (this.reassignSelect.value) void this.run(actions.reassign(this.reassignSelect.value));
    });
    const stop = h("button", { type: "button", class: "stop", "data-action": "unwatch" }, l.stopWatching);
    stop.addEventListener("click", () => actions.stop());
    this.element = h(
      "section",
      { class: "watch", "data-conversation": chat.id, "aria-label": l.watching },
      h("div", { class: "watch-head" }, this.head, stop),
      this.facts,
      this.alert,
      this.transcript.element,
      whisperForm,
      h("div", { class: "watch-actions" }, this.takeBtn, reassignForm),
    );
    void this.loadAgents();
    this.render();
  }

  render(): void {
    const { chat, t } = this;
    const c = chat.conversation;
    this.head.textContent = `${t.live.watching}: ${visitorLabel(chat, t)}`;
    this.facts.textContent = [t.states[c.state] ?? c.state, c.agent?.name, ...chat.tags.map((x) => `#${x}`)].filter(Boolean).join(" · ");
    this.element.dataset.state = c.state;
    this.element.dataset.agent = c.agent?.id ?? "";
    this.takeBtn.disabled = c.state !== "assigned";
    this.transcript.update(chat);
  }

  private async loadAgents(): Promise<void> {
    // Not the agent holding it now: a transfer to the holder is refused.
    const agents = (await this.actions.agents()).filter((a) => a.id !== this.chat.conversation.agent?.id);
    this.reassignSelect.replaceChildren(
      ...agents.map((a) => {
        const free = a.connected && a.status === "online" && a.load < a.capacity;
        return h("option", { value: a.id, disabled: !free }, `${a.name} — ${a.load}/${a.capacity}`);
      }),
    );
    const first = [...this.reassignSelect.options].find((o) => !o.disabled);
    if (first) this.reassignSelect.value = first.value;
  }

  private async run(p: Promise<Ack<object>>, then?: () => void): Promise<void> {
    const ack = await p;
    if (!ack.ok) {
      this.say(this.t.refused + errorText(this.t, ack), true);
      return;
    }
    this.alert.hidden = true;
    then?.();
  }

  private say(text: string, bad: boolean): void {
    this.alert.textContent = text;
    this.alert.classList.toggle("ok", !bad);
    this.alert.hidden = false;
  }
}
