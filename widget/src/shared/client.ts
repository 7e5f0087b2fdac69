// The visitor's connection to the gateway: one Socket.IO socket on /visitor,
// the outbox, and the transcript. It owns the delivery guarantees so that the
// UI (widget today, console later) only renders what it is told:
//
//  * a message is in the outbox (localStorage) before it is emitted, and
//    leaves it only when the gateway acks it as stored;
//  * the outbox is sent one message at a time, in order, and only after the
//    connection has synced, so two queued messages keep their order and a
//    resend after an unknown outcome is deduplicated by its client_id;
//  * every (re)connect asks `sync {since_seq}` and merges by seq, so what was
//    missed while away comes from the store, not from best-effort delivery.

import { io, type Socket } from "socket.io-client";
import { type Attachment, fileLink, upload, type UploadResult } from "./attachments";
import { newClientId, Outbox, type PendingMessage } from "./outbox";
import {
  type Ack,
  type AckError,
  type Conversation,
  type Identity,
  isOutdated,
  isPermanentError,
  type LeaveMessage,
  type Message,
  type OutgoingMessage,
  higherMark,
  type Profile,
  type ReadEvent,
  type Session,
  type SiteStatus,
  type SyncResult,
  type TypingEvent,
} from "./protocol";
import { type KeyValueStore, type StorageKeys } from "./storage";
import { type Entry, Transcript } from "./transcript";

export type ConnectionState = "connecting" | "online" | "offline";

export interface ClientListener {
  /** Transcript, outbox or failures changed: re-render the message list. */
  changed(): void;
  /** A bot/agent/system message arrived live (not from history). */
  incoming(m: Message): void;
  status(c: Conversation): void;
  typing(ev: TypingEvent): void;
  connection(state: ConnectionState): void;
  /** The header snapshot and what the gateway keeps of the visitor (each `session`). */
  session?(site: SiteStatus | null, profile: Profile | null): void;
}

export interface ClientOptions {
  /** Origin of the gateway, e.g. https://chat.example.com */
  origin: string;
  /** Socket.IO path on that origin, e.g. /socket.io/ */
  path: string;
  locale: string;
  pageUrl: string;
  store: KeyValueStore;
  keys: StorageKeys;
  listener: ClientListener;
  /** A logged-in user the site signed for (sent on every connect). */
  identity?: Identity | null;
}

const ACK_TIMEOUT_MS = 10_000;
const RETRY_DELAY_MS = 1_500;
/** If the gateway never sends `session`, sync anyway after this long. */
const SESSION_GRACE_MS = 3_000;
/** Before connecting again after the gateway dropped us on purpose (it is restarting). */
const SERVER_DROP_DELAY_MS = 1_000;

/** Read receipts wait this long for more messages before reporting (within the gateway's 120 a minute). */
const READ_DELAY_MS = 800;

/** How long a file waits for a first visit's token (sent with `session`). */
const TOKEN_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function unavailable(message: string): AckError {
  return { ok: false, error: "unavailable", message };
}

export class ChatClient {
  readonly transcript = new Transcript();
  readonly outbox: Outbox;
  /** Messages the gateway refused for good (too long, invalid…), with its sentence. */
  private readonly failed = new Map<string, { item: PendingMessage; reason: string }>();
  private socket: Socket | null = null;
  private ready = false;
  private pumping = false;
  private syncing = false;
  /** A sync was asked for while one was running: run another when it ends. */
  private syncAgain = false;
  private sessionTimer: ReturnType<typeof setTimeout> | undefined;
  private typingSent = false;
  /** What the visitor's activity last was (see `setIdle`); said again after a reconnect. */
  private idle = false;
  /** Read receipts of the current conversation: whose they are, the agent's mark, ours as sent. */
  private readFor: string | null = null;
  private agentMark = 0;
  private readSent = 0;
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  conversation: Conversation | null = null;

  constructor(private readonly opts: ClientOptions) {
    this.outbox = new Outbox(opts.store, opts.keys.outbox);
  }

  start(): void {
    if (this.socket) return;
    const { origin, path, store, keys } = this.opts;
    const socket = io(`${origin}/visitor`, {
      path,
      // A function, so every reconnect presents the newest token.
      auth: (cb) => {
        const auth: Record<string, unknown> = { locale: this.opts.locale, page_url: this.opts.pageUrl };
        if (this.opts.identity) auth.identity = this.opts.identity;
        const token = store.get(keys.token);
        if (token) auth.token = token;
        cb(auth);
      },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
    });
    this.socket = socket;
    this.opts.listener.connection("connecting");

    socket.on("connect", () => {
      this.ready = false;
      clearTimeout(this.sessionTimer);
      this.sessionTimer = setTimeout(() => void this.resync(), SESSION_GRACE_MS);
    });
    socket.on("session", (s: Session) => this.onSession(s));
    socket.on("message", (m: Message) => this.onMessage(m));
    socket.on("status", (c: Conversation) => this.onStatus(c));
    socket.on("typing", (ev: TypingEvent) => this.opts.listener.typing(ev));
    socket.on("read", (ev: ReadEvent) => {
      if (ev?.by === "agent" && ev.conversation_id === this.conversation?.id && this.noteMarks(ev.conversation_id, ev.seq)) this.opts.listener.changed();
    });
    // The gateway lost emits between its processes (Redis restarted): catch up.
    socket.on("resync", () => void this.resync());
    socket.on("disconnect", (reason) => {
      this.ready = false;
      this.opts.listener.connection(navigator.onLine ? "connecting" : "offline");
      // Socket.IO reconnects by itself after a lost transport, but not when
      // the server disconnected the socket (a gateway shutting down, a
      // process cleaning up): a visitor's chat must never just stop, so ask
      // again; the `session` that follows syncs what was missed meanwhile.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), SERVER_DROP_DELAY_MS);
    });
    let refusals = 0;
    socket.on("connect", () => (refusals = 0));
    socket.on("connect_error", () => {
      this.opts.listener.connection(navigator.onLine ? "connecting" : "offline");
      // Socket.IO retries transport failures by itself, but not a refusal by
      // the gateway's connect handler (it may be a passing database error):
      // try again, slower each time, up to every 30 s.
      if (!socket.active) {
        refusals += 1;
        setTimeout(() => socket.connect(), Math.min(30_000, 1_000 * 2 ** refusals));
      }
    });

    // Browsers know about a lost network long before a heartbeat times out:
    // drop the dead transport at once (Socket.IO then retries by itself) and
    // reconnect the moment the network is back instead of waiting a backoff.
    window.addEventListener("offline", () => {
      this.opts.listener.connection("offline");
      socket.io.engine?.close();
    });
    // Leaving the page: close the socket now, so the gateway knows the
    // visitor left at once instead of when a heartbeat times out. A page
    // restored from the back-forward cache connects again.
    window.addEventListener("pagehide", () => socket.disconnect());
    window.addEventListener("pageshow", (e) => {
      if (e.persisted && !socket.connected) socket.connect();
    });
    window.addEventListener("online", () => {
      if (!socket.connected) {
        socket.disconnect();
        socket.connect();
      }
    });
  }

  /** The language sent at the next (re)connect: the one the widget now shows. */
  setLocale(locale: string): void {
    this.opts.locale = locale;
  }

  // ---- visitor actions -------------------------------------------------

  /** Queues a message (files already uploaded may go with it); it is delivered whenever the connection allows. */
  send(text: string, payload?: string, attachments?: Attachment[]): PendingMessage | null {
    const clean = text.replace(/\s+$/u, "");
    if (!clean.trim() && !attachments?.length) return null;
    this.setTyping(false);
    const item = this.outbox.add(clean, payload, attachments);
    this.opts.listener.changed();
    void this.pump();
    return item;
  }

  /** Uploads a file with this visitor's token (it is sent by a message afterwards). */
  async uploadFile(file: File, onProgress: (fraction: number) => void): Promise<UploadResult> {
    const token = await this.token();
    if (!token) return { ok: false, error: "unavailable", message: "not connected yet" };
    return upload(this.apiBase(), { token }, file, onProgress);
  }

  /** A signed URL to a file of this visitor's conversation. */
  async fileLink(id: string): Promise<string | null> {
    const token = await this.token();
    return token ? fileLink(this.apiBase(), { token }, id) : null;
  }

  /** The visitor's token; a first visit has none until `session`, so wait a little for it. */
  private async token(): Promise<string | null> {
    for (let waited = 0; waited < TOKEN_WAIT_MS; waited += 100) {
      const token = this.opts.store.get(this.opts.keys.token);
      if (token) return token;
      await sleep(100);
    }
    return this.opts.store.get(this.opts.keys.token);
  }

  /** The gateway's HTTP base: its origin and the path prefix Socket.IO sits under. */
  private apiBase(): string {
    return this.opts.origin + this.opts.path.replace(/\/?socket\.io\/$/, "");
  }

  async requestHuman(): Promise<Ack<{ conversation: Conversation }>> {
    const ack = await this.call<{ conversation: Conversation }>("request_human", {});
    if (ack.ok && ack.conversation) this.onStatus(ack.conversation);
    return ack;
  }

  /** Nobody is available: keep chatting with the bot instead of waiting (`back_to_bot`). */
  async backToBot(): Promise<Ack<{ conversation: Conversation }>> {
    const ack = await this.call<{ conversation: Conversation }>("back_to_bot", {});
    if (ack.ok && ack.conversation) this.onStatus(ack.conversation);
    return ack;
  }

  async closeConversation(): Promise<Ack<{ conversation: Conversation }>> {
    const ack = await this.call<{ conversation: Conversation }>("close", {});
    if (ack.ok && ack.conversation) this.onStatus(ack.conversation);
    return ack;
  }

  /**
   * The leave-a-message form. One client_id for every try, so a retry after
   * a lost ack is stored once; transient refusals are retried a few times
   * here, and a final answer (ok or a permanent error) goes back to the form.
   */
  async leaveMessage(form: { text: string; email: string; name?: string }): Promise<Ack<{ conversation: Conversation }>> {
    const body: LeaveMessage = { client_id: newClientId(), text: form.text, email: form.email };
    if (form.name) body.name = form.name;
    for (let attempt = 0; ; attempt++) {
      const ack = await this.call<{ conversation: Conversation }>("leave_message", body);
      if (ack.ok) {
        if (ack.conversation) this.onStatus(ack.conversation);
        // The stored text is part of the transcript: fetch it from the store.
        void this.resync();
        return ack;
      }
      if (isPermanentError(ack.error) || attempt >= 4) return ack;
      await sleep(RETRY_DELAY_MS);
    }
  }

  /** The header snapshot again (asked when the panel opens, and while it is open). */
  async site(): Promise<Ack<{ site: SiteStatus }>> {
    return this.call<{ site: SiteStatus }>("site", {});
  }

  /** The pre-chat form; the gateway's refusal (e.g. a bad e-mail) comes back as is. */
  async profile(form: { name?: string; email?: string }): Promise<Ack<{ profile: Profile }>> {
    return this.call<{ profile: Profile }>("profile", form);
  }

  /** E-mail the latest conversation's transcript to `email` (sent when it has ended). */
  async emailTranscript(email: string): Promise<Ack<{ status: string }>> {
    return this.call<{ status: string }>("email_transcript", { email });
  }

  async csat(score: number, comment?: string): Promise<Ack<object>> {
    const body: { score: number; comment?: string } = { score };
    if (comment) body.comment = comment;
    return this.call<object>("csat", body);
  }

  /**
   * The visitor went idle (nothing done on the page for a while) or came
   * back: the agent sees it. A fresh connection starts active, so an idle
   * visitor is reported again after a reconnect.
   */
  setIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    if (this.socket?.connected) this.socket.emit("activity", { idle });
  }

  /** Sends typing on/off transitions only; volatile because stale typing is worthless. */
  setTyping(typing: boolean): void {
    if (typing === this.typingSent) return;
    this.typingSent = typing;
    if (this.socket?.connected) this.socket.volatile.emit("typing", { typing });
  }

  /**
   * The visitor has the conversation in front of them: report the newest seq
   * (`read`), after a short wait that gathers a burst of messages. Only while
   * a person has the chat: nobody reads receipts of the bot's part.
   */
  markRead(): void {
    if (this.readTimer !== undefined) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      const c = this.conversation;
      const seq = this.transcript.lastSeq;
      if (!c || c.state !== "assigned" || c.id !== this.transcript.conversation || !this.socket?.connected) return;
      this.noteMarks(c.id);
      if (seq <= this.readSent) return;
      this.readSent = seq;
      void this.call("read", { seq }).then((ack) => {
        // Not stored (a lost connection, the limit): let the next look report it again.
        if (!ack.ok && this.readFor === c.id && this.readSent === seq) this.readSent = 0;
      });
    }, READ_DELAY_MS);
  }

  /** The agent's read mark of the conversation shown (0: nothing read yet). */
  agentRead(): { conversation: string | null; seq: number } {
    return { conversation: this.readFor, seq: this.agentMark };
  }

  /** Takes in marks a snapshot or an event reports; true when the agent's moved. */
  private noteMarks(conversation: string | null | undefined, agent?: unknown, visitor?: unknown): boolean {
    if (!conversation) return false;
    if (conversation !== this.readFor) {
      this.readFor = conversation;
      this.agentMark = 0;
      this.readSent = 0;
    }
    this.readSent = higherMark(this.readSent, visitor);
    const before = this.agentMark;
    this.agentMark = higherMark(before, agent);
    return this.agentMark !== before;
  }

  entries(): Entry[] {
    const pending = [...this.outbox.list(), ...[...this.failed.values()].map((f) => f.item)];
    const reasons = new Map([...this.failed].map(([id, f]) => [id, f.reason] as const));
    return this.transcript.entries(pending, reasons);
  }

  // ---- server events ---------------------------------------------------

  private onSession(s: Session): void {
    const { store, keys } = this.opts;
    clearTimeout(this.sessionTimer);
    const previous = store.get(keys.visitor);
    if (s.visitor_token) store.set(keys.token, s.visitor_token);
    if (s.visitor_id) store.set(keys.visitor, s.visitor_id);
    // A new visitor id means the old token was refused or expired: what we
    // show belonged to someone else's session, so start clean.
    if (previous && s.visitor_id && previous !== s.visitor_id) {
      this.transcript.useConversation(null, false);
      this.opts.listener.changed();
    }
    if (s.conversation) this.onStatus(s.conversation);
    this.opts.listener.session?.(s.site ?? null, s.profile ?? null);
    // The gateway counts a new tab as active: say so if this one is idle.
    if (this.idle) this.socket?.emit("activity", { idle: true });
    void this.resync();
  }

  private onMessage(m: Message): void {
    if (!m || typeof m.seq !== "number") return;
    const gap = this.transcript.conversation === m.conversation_id && m.seq > this.transcript.lastSeq + 1;
    const isNew = !this.transcript.messages().some((x) => x.seq === m.seq && x.id === m.id);
    const before = this.transcript.conversation;
    this.transcript.merge([m]);
    const switched = before !== null && this.transcript.conversation !== before;
    if (m.client_id) this.outbox.remove(m.client_id);
    this.opts.listener.changed();
    if (isNew && m.sender !== "visitor") this.opts.listener.incoming(m);
    // A hole in seq means an event was lost in transit: fetch it from the store.
    // A new conversation (after a closed one) or a lost event: the store
    // has the truth, including the new conversation's state.
    if ((gap || switched) && this.ready) void this.resync();
  }

  private onStatus(c: Conversation): void {
    if (!c || typeof c !== "object") return;
    if (isOutdated(this.conversation, c)) return; // overtaken on the way by a newer one
    if (c.id && this.transcript.conversation && c.id !== this.transcript.conversation) {
      // The gateway moved us to a new conversation; history of the old one
      // is not part of it (seq restarts), so the list starts over.
      this.transcript.useConversation(c.id);
      this.opts.listener.changed();
    }
    this.conversation = c;
    this.noteMarks(c.id, c.read?.agent, c.read?.visitor);
    this.opts.listener.status(c);
  }

  // ---- delivery ----------------------------------------------------------

  /** Catches up from the store, then lets the outbox drain. */
  private async resync(): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) return;
    if (this.syncing) {
      // The running sync may have read the store before what this one is
      // for (a `resync` from the gateway, a gap): don't drop it, queue it.
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    this.syncAgain = false;
    try {
      for (let attempt = 0; socket.connected; attempt++) {
        const since = this.transcript.lastSeq;
        const ack = await this.call<SyncResult>("sync", { since_seq: since });
        if (!ack.ok) {
          if (isPermanentError(ack.error) || attempt > 5) break;
          await sleep(RETRY_DELAY_MS);
          continue;
        }
        const conv = ack.conversation;
        if (conv && this.transcript.conversation && conv.id !== this.transcript.conversation) {
          // We asked with the seq of an older conversation; ask again from 0.
          this.transcript.useConversation(conv.id);
          continue;
        }
        if (conv) this.transcript.useConversation(conv.id);
        this.transcript.merge(ack.messages ?? []);
        // An ack lost on the way back (tab closed, connection cut) leaves the
        // message in the outbox although it is stored: drop it, don't resend.
        for (const p of this.outbox.list()) {
          if (this.transcript.hasClientId(p.client_id)) this.outbox.remove(p.client_id);
        }
        if (conv) this.onStatus(conv);
        this.opts.listener.changed();
        break;
      }
    } finally {
      this.syncing = false;
    }
    if (this.syncAgain && socket.connected) return this.resync();
    if (socket.connected) {
      this.ready = true;
      this.opts.listener.connection("online");
      void this.pump();
    }
  }

  /** Drains the outbox one message at a time, oldest first. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ready && this.socket?.connected) {
        const next = this.outbox.list()[0];
        if (!next) break;
        const body: OutgoingMessage = { client_id: next.client_id, text: next.text };
        if (next.payload !== undefined) body.payload = next.payload;
        if (next.attachments?.length) body.attachments = next.attachments.map((a) => ({ id: a.id }));
        const ack = await this.call<{ message: Message }>("message", body);
        if (ack.ok) {
          this.outbox.remove(next.client_id);
          const before = this.transcript.conversation;
          if (ack.message) this.transcript.merge([ack.message]);
          this.opts.listener.changed();
          // Writing after a closed chat opened a new conversation: fetch its state.
          if (before !== null && this.transcript.conversation !== before) void this.resync();
        } else if (isPermanentError(ack.error)) {
          this.outbox.remove(next.client_id);
          this.failed.set(next.client_id, { item: next, reason: ack.message || ack.error });
          this.opts.listener.changed();
        } else {
          // Rate limited, unavailable or no ack in time: same client_id
          // again later; the gateway stores it at most once.
          await sleep(RETRY_DELAY_MS);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** An acked emit that never throws: timeouts and disconnects become `unavailable`. */
  private async call<T extends object>(event: string, body: object): Promise<Ack<T>> {
    const socket = this.socket;
    // Socket.IO would buffer an emit made while disconnected and send it on
    // reconnect; we never want that (the outbox is our buffer), so refuse.
    if (!socket?.connected) return unavailable("not connected");
    try {
      const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, body)) as Ack<T> | null;
      if (!ack || typeof ack !== "object") return unavailable("empty ack");
      return ack;
    } catch {
      return unavailable("no answer in time");
    }
  }
}
