// The visitor's view of one conversation: stored messages merged by `seq`
// (so a message heard live and again through `sync` appears once), followed
// by pending messages from the outbox that the gateway has not acked yet.

import type { PendingMessage } from "./outbox";
import type { Message } from "./protocol";

export type Entry =
  | { kind: "stored"; key: string; message: Message }
  | { kind: "pending"; key: string; pending: PendingMessage; failed?: string };

/** One key per visitor message whether pending or stored, so the DOM node survives the ack. */
export function keyOf(m: { client_id?: string | null; id?: string }): string {
  return m.client_id ? `c:${m.client_id}` : `m:${m.id ?? ""}`;
}

export class Transcript {
  private conversationId: string | null = null;
  private readonly bySeq = new Map<number, Message>();
  /**
   * Messages of conversations that ended while this page was open. They stay
   * on screen (a visitor who writes again after a closed chat still sees what
   * was said) but take no part in seq bookkeeping.
   */
  private earlier: Message[] = [];

  get conversation(): string | null {
    return this.conversationId;
  }

  /** Highest seq held; `sync {since_seq}` asks for what comes after it. */
  get lastSeq(): number {
    let max = 0;
    for (const seq of this.bySeq.keys()) if (seq > max) max = seq;
    return max;
  }

  /**
   * Starts over when the conversation changes: seq numbers are per
   * conversation, so mixing two would drop or misorder messages.
   */
  useConversation(id: string | null, keepOld = true): boolean {
    if (id === this.conversationId) return false;
    this.earlier = keepOld ? [...this.earlier, ...this.messages()] : [];
    this.conversationId = id;
    this.bySeq.clear();
    return true;
  }

  /** Returns true if something new or changed was merged. */
  merge(messages: readonly Message[]): boolean {
    let changed = false;
    for (const m of messages) {
      if (typeof m.seq !== "number") continue;
      if (this.conversationId === null) this.conversationId = m.conversation_id;
      if (m.conversation_id !== this.conversationId) {
        // A message of a newer conversation (the old one was closed): switch.
        this.useConversation(m.conversation_id);
      }
      const have = this.bySeq.get(m.seq);
      if (!have || have.id !== m.id || have.text !== m.text) {
        this.bySeq.set(m.seq, m);
        changed = true;
      }
    }
    return changed;
  }

  messages(): Message[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  hasClientId(clientId: string): boolean {
    for (const m of this.bySeq.values()) if (m.client_id === clientId) return true;
    return this.earlier.some((m) => m.client_id === clientId);
  }

  entries(pending: readonly PendingMessage[], failed: ReadonlyMap<string, string>): Entry[] {
    const stored: Entry[] = [...this.earlier, ...this.messages()].map((m) => ({ kind: "stored", key: keyOf(m), message: m }));
    const waiting: Entry[] = [...pending]
      .filter((p) => !this.hasClientId(p.client_id))
      .sort((a, b) => a.created - b.created)
      .map((p) => {
        const e: Entry = { kind: "pending", key: keyOf(p), pending: p };
        const why = failed.get(p.client_id);
        if (why !== undefined) e.failed = why;
        return e;
      });
    return [...stored, ...waiting];
  }
}
