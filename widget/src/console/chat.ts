// One chat the agent holds: its conversation snapshot, visitor, transcript
// (merged by seq, shared with the widget), notes, and the agent's own
// unsent replies. Local bookkeeping that the server does not keep (what the
// agent has read, when the chat arrived) is in localStorage so a reload or a
// second tab of the same browser agrees.

import { Outbox, type PendingMessage } from "../shared/outbox";
import { type Conversation, higherMark, type Message } from "../shared/protocol";
import { local, readJson } from "../shared/storage";
import { type Entry, Transcript } from "../shared/transcript";
import type { AgentConversation, AgentMessage, Note, VisitorInfo } from "./types";

/** Whether a conversation snapshot still belongs in this agent's console. */
export function heldBy(c: Conversation, agentId: string): boolean {
  return c.state === "assigned" && c.agent?.id === agentId;
}

interface LocalMarks {
  /** Highest seq the agent has had in front of them. */
  seen?: number;
  /** ms epoch when this browser saw the assignment arrive (for the wait time). */
  assignedAt?: number;
  /** ts of the newest message when it arrived: roughly when the visitor started waiting. */
  waitFrom?: string;
}

export class Chat {
  readonly transcript = new Transcript();
  readonly notes = new Map<string, Note>();
  readonly outbox: Outbox;
  /** Replies the gateway refused for good, with its sentence and code (the code is what is shown, translated). */
  readonly failed = new Map<string, { item: PendingMessage; reason: string; code?: string }>();
  visitorTyping = false;
  /** The conversation's tags (hello, assigned, `tags` events, the console's own changes). */
  tags: string[] = [];
  /** Announced and not yet looked at: highlighted, counted in the page title. */
  fresh = false;
  pumping = false;
  /** Read receipts: the highest seq the visitor has seen, and the agent's as last reported. */
  visitorRead = 0;
  agentRead = 0;
  private current!: AgentConversation;
  private readonly marksKey: string;

  constructor(
    agentId: string,
    conversation: AgentConversation,
    public visitor: VisitorInfo | null,
  ) {
    this.conversation = conversation;
    this.outbox = new Outbox(local, `tsunagu:console:${agentId}:outbox:${conversation.id}`);
    this.marksKey = `tsunagu:console:${agentId}:chat:${conversation.id}`;
    this.transcript.useConversation(conversation.id, false);
  }

  get id(): string {
    return this.conversation.id;
  }

  get conversation(): AgentConversation {
    return this.current;
  }

  /** A snapshot replaces the last; its read marks only ever raise ours (one may come late). */
  set conversation(c: AgentConversation) {
    this.current = c;
    this.visitorRead = higherMark(this.visitorRead, c.read?.visitor);
    this.agentRead = higherMark(this.agentRead, c.read?.agent);
  }

  messages(): AgentMessage[] {
    return this.transcript.messages() as AgentMessage[];
  }

  merge(messages: readonly Message[]): boolean {
    const changed = this.transcript.merge(messages.filter((m) => m.conversation_id === this.id));
    for (const m of messages) if (m.client_id) this.outbox.remove(m.client_id);
    return changed;
  }

  addNotes(notes: readonly Note[]): void {
    for (const n of notes) this.notes.set(String(n.id), n);
  }

  entries(): Entry[] {
    const pending = [...this.outbox.list(), ...[...this.failed.values()].map((f) => f.item)];
    const reasons = new Map([...this.failed].map(([id, f]) => [id, f.reason] as const));
    return this.transcript.entries(pending, reasons);
  }

  // ---- local marks ------------------------------------------------------

  private marks(): LocalMarks {
    return readJson<LocalMarks>(local, this.marksKey, {});
  }

  private saveMarks(m: LocalMarks): void {
    local.set(this.marksKey, JSON.stringify(m));
  }

  /** Visitor messages the agent has not had in front of them. */
  unread(): number {
    const seen = this.marks().seen ?? 0;
    return this.messages().filter((m) => m.sender === "visitor" && m.seq > seen).length;
  }

  markSeen(): boolean {
    const m = this.marks();
    const last = this.transcript.lastSeq;
    const was = this.fresh;
    this.fresh = false;
    if ((m.seen ?? 0) >= last) return was;
    this.saveMarks({ ...m, seen: last });
    return true;
  }

  /** A chat that arrived live: everything up to now is history the agent must still read. */
  noteArrival(): void {
    const m = this.marks();
    if (m.assignedAt) return;
    // System lines (who joined, a transfer) are the gateway's, not the visitor's wait.
    const all = this.messages().filter((x) => x.sender !== "system");
    const last = all[all.length - 1];
    const next: LocalMarks = { ...m, assignedAt: Date.now() };
    // With an agent already in the history this is a transfer or a requeue:
    // the visitor's first wait is over and cannot be told from here.
    if (last && !all.some((x) => x.sender === "agent")) next.waitFrom = last.ts;
    this.saveMarks(next);
  }

  /** A chat already held when the console (re)loaded, first seen in this browser: nothing new. */
  adoptAsSeen(): void {
    const m = this.marks();
    if (m.seen === undefined) this.saveMarks({ ...m, seen: this.transcript.lastSeq });
  }

  /**
   * Seconds the visitor waited for a person, or null. The gateway's own
   * figure (`wait_s`, from queued_at to assigned_at) when it sends one; from
   * an older gateway, an estimate: from the newest message before the
   * assignment to the moment this browser received it.
   */
  waitedSeconds(): { seconds: number; estimated: boolean } | null {
    if (typeof this.conversation.wait_s === "number") return { seconds: this.conversation.wait_s, estimated: false };
    const m = this.marks();
    if (!m.assignedAt || !m.waitFrom) return null;
    const from = Date.parse(m.waitFrom);
    if (Number.isNaN(from)) return null;
    return { seconds: Math.max(0, (m.assignedAt - from) / 1000), estimated: true };
  }

  /**
   * Since when (ms epoch) the visitor has been waiting for a person: the
   * time of their last message when no agent has written after it; null
   * when an agent has (the bot's answers do not count — the visitor asked
   * for a person). Replies still in the outbox have not reached them.
   */
  waitingSince(): number | null {
    const all = this.messages();
    for (let i = all.length - 1; i >= 0; i--) {
      const m = all[i]!;
      if (m.sender === "agent") return null;
      if (m.sender !== "visitor") continue;
      const at = Date.parse(m.ts);
      return Number.isNaN(at) ? null : at;
    }
    return null;
  }

  /** Forgets this chat's local state once it has left the console. */
  forget(): void {
    for (const p of this.outbox.list()) this.outbox.remove(p.client_id);
    local.remove(this.marksKey);
  }
}
