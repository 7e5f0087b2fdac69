// The outbox holds every visitor message from the moment it is typed until
// the gateway acks it as stored. It lives in localStorage so that a reload, a
// crash or a closed laptop lid never loses what the visitor wrote; the
// client_id is fixed at creation, so resending after an unknown outcome is
// safe (the gateway stores a client_id once and returns the first result).

import type { Attachment } from "./attachments";
import { type KeyValueStore, readJson } from "./storage";

export interface PendingMessage {
  client_id: string;
  text: string;
  payload?: string;
  /** Files already uploaded, sent with the text (which may then be empty). */
  attachments?: Attachment[];
  /** ms since epoch; orders pending messages and shows their time. */
  created: number;
}

/** A client_id for an idempotent request (messages, left messages). */
export function newClientId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  // randomUUID needs a secure context; plain-http intranet sites still get
  // a collision-safe id from getRandomValues.
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isPending(x: unknown): x is PendingMessage {
  const p = x as PendingMessage;
  return !!p && typeof p.client_id === "string" && typeof p.text === "string";
}

export class Outbox {
  constructor(
    private readonly store: KeyValueStore,
    private readonly key: string,
  ) {}

  /**
   * Always re-read storage: another tab of the same site shares this outbox,
   * and working from a stale copy would resurrect messages it already sent.
   */
  list(): PendingMessage[] {
    const items = readJson<unknown[]>(this.store, this.key, []);
    return Array.isArray(items) ? items.filter(isPending) : [];
  }

  add(text: string, payload?: string, attachments?: Attachment[]): PendingMessage {
    const item: PendingMessage = { client_id: newClientId(), text, created: Date.now() };
    if (payload !== undefined) item.payload = payload;
    if (attachments?.length) item.attachments = attachments;
    // Written before any network call: this is the "never lose" guarantee.
    this.save([...this.list(), item]);
    return item;
  }

  remove(clientId: string): boolean {
    const items = this.list();
    const rest = items.filter((p) => p.client_id !== clientId);
    if (rest.length !== items.length) this.save(rest);
    return rest.length !== items.length;
  }

  has(clientId: string): boolean {
    return this.list().some((p) => p.client_id === clientId);
  }

  private save(items: PendingMessage[]): void {
    if (items.length === 0) this.store.remove(this.key);
    else this.store.set(this.key, JSON.stringify(items));
  }
}
