// The agent's connection to the gateway (/agent) and the chats it holds.
// Everything shown comes from the server: `hello` (after every connect,
// with each held chat's whole history and notes) replaces what we hold,
// `assigned` adds a chat, `conversation` removes one that no longer names
// this agent, and live `message`/`note`/`typing` events fill the rest. A
// gap in seq asks `sync` for what was missed. Replies go through a
// per-chat outbox (localStorage) with a fixed client_id, so a retry after a
// lost ack is stored once and a reload does not lose a reply being sent.

import { io, type Socket } from "socket.io-client";
import type { Attachment } from "../shared/attachments";
import {
  type Ack,
  type AckError,
  type Conversation,
  isOutdated,
  higherMark,
  isPermanentError,
  type Message,
  type ReadEvent,
} from "../shared/protocol";
import { Chat, heldBy } from "./chat";
import type { AgentInfo, AgentTyping, Assigned, ConversationRecord, Hello, Note, Overview, Presence, VisitorPresenceEvent } from "./types";

export type DeskConnection = "connecting" | "online" | "offline";

export interface DeskListener {
  /** The agent (name, role, capacity, presence) as the gateway said it. */
  agent(agent: AgentInfo): void;
  /** A chat joined the console; `announce` when it was assigned live (not on load). */
  added(chat: Chat, announce: boolean): void;
  /** Something in a chat changed (messages, notes, typing, state). */
  updated(chat: Chat): void;
  /**
   * A chat left the console. `chat` and `state` say whose and how (closed,
   * bot, another agent's…); `byMe` is false when it was not this console's
   * own action (the visitor ended it, another tab or a supervisor moved it).
   */
  removed(chat: Chat, state: string | null, byMe: boolean): void;
  connection(state: DeskConnection): void;
  /** The session is over (signed out here or elsewhere, or expired). */
  ended(): void;
  /** Supervisors and admins: the overview the gateway pushed (queue, live chats, agents, today). */
  overview?(overview: Overview): void;
  /** Something changed in a chat this console watches read-only (supervisors). */
  watched?(chat: Chat): void;
}

const ACK_TIMEOUT_MS = 10_000;
const RETRY_DELAY_MS = 1_500;
const TYPING_MAX_MS = 8_000;
/** A chat's read receipt waits this long for more messages before it is reported. */
const READ_DELAY_MS = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Set by the login page when the agent asks to sign in away. */
export const START_AWAY_KEY = "tsunagu.startAway";

export class Desk {
  /** The signed-in agent; `hello` refreshes it (status, capacity) on every connect. */
  agent: AgentInfo;
  readonly chats = new Map<string, Chat>();
  /** Chats a supervisor watches read-only (`watch`), by id; live like held ones. */
  readonly watched = new Map<string, Chat>();
  private socket: Socket | null = null;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly typingSent = new Map<string, boolean>();
  /** Chats whose read receipt is about to be reported. */
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Chats this console is letting go of (close, hand back, transfer in flight). */
  private readonly lettingGo = new Set<string>();
  /** The status this console asks for when it (re)connects; none: the gateway's default. */
  private status: "online" | "away" | null = null;

  constructor(
    me: AgentInfo,
    private readonly listener: DeskListener,
  ) {
    this.agent = me;
  }

  start(): void {
    // Same origin: the HttpOnly session cookie authenticates the socket.
    // The status to start with: the login page's "sign in as away" the first
    // time, then whatever the agent last had (a reconnect after the gateway
    // forgot them must not put an agent who was away back online).
    if (sessionStorage.getItem(START_AWAY_KEY) === "1") this.status = "away";
    sessionStorage.removeItem(START_AWAY_KEY);
    const auth = (cb: (data: object) => void): void => cb(this.status ? { status: this.status } : {});
    const socket = io("/agent", { path: "/socket.io/", withCredentials: true, auth, reconnectionDelay: 500, reconnectionDelayMax: 5_000 });
    this.socket = socket;
    this.listener.connection("connecting");
    socket.on("hello", (h: Hello) => this.onHello(h));
    socket.on("assigned", (a: Assigned) => this.onAssigned(a));
    socket.on("message", (m: Message) => this.onMessage(m));
    socket.on("conversation", (c: Conversation) => this.onConversation(c));
    socket.on("note", (n: Note) => this.onNote(n));
    socket.on("typing", (ev: AgentTyping) => this.onTyping(ev));
    socket.on("tags", (ev: { conversation_id: string; tags: string[] }) => this.onTags(ev));
    socket.on("visitor_presence", (p: VisitorPresenceEvent) => this.onVisitorPresence(p));
    socket.on("read", (ev: ReadEvent) => this.onRead(ev));
    socket.on("session_ended", () => this.end());
    // The gateway lost emits between its processes (Redis restarted): catch up.
    socket.on("resync", () => {
      for (const chat of this.chats.values()) void this.sync(chat);
    });
    socket.on("overview", (o: Overview) => this.listener.overview?.(o));
    this.watchNetwork(socket);
    socket.on("disconnect", (reason) => {
      this.listener.connection(navigator.onLine ? "connecting" : "offline");
      // The server closed us on purpose (signed out elsewhere): do not come back.
      if (reason === "io server disconnect") void this.checkSession(socket);
    });
    socket.on("connect_error", () => {
      this.listener.connection(navigator.onLine ? "connecting" : "offline");
      // A refusal by the gateway (session gone) is not retried by Socket.IO.
      if (!socket.active) void this.checkSession(socket);
    });
  }

  /**
   * The browser knows about a lost network long before a heartbeat times
   * out: drop the dead transport at once (the banner shows, replies wait in
   * the outbox) and reconnect the moment the network is back.
   */
  private watchNetwork(socket: Socket): void {
    window.addEventListener("offline", () => {
      this.listener.connection("offline");
      socket.io.engine?.close();
    });
    window.addEventListener("online", () => {
      if (this.socket === socket && !socket.connected) {
        socket.disconnect();
        socket.connect();
      }
    });
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  /** After a refusal: signed out → end; otherwise try again a little later. */
  private async checkSession(socket: Socket): Promise<void> {
    const response = await fetch("/api/auth/session", { credentials: "same-origin" }).catch(() => null);
    if (response && response.status === 401) {
      this.end();
      return;
    }
    await sleep(2_000);
    if (this.socket === socket && !socket.connected) socket.connect();
  }

  private end(): void {
    this.stop();
    this.listener.ended();
  }

  // ---- server events ---------------------------------------------------

  private onHello(h: Hello): void {
    if (!h?.agent) return;
    this.agent = h.agent;
    if (h.agent.status === "online" || h.agent.status === "away") this.status = h.agent.status;
    this.listener.agent(h.agent);
    const held = new Set<string>();
    for (const c of h.conversations ?? []) {
      if (!heldBy(c, h.agent.id)) continue;
      held.add(c.id);
      let chat = this.chats.get(c.id);
      const isNew = !chat;
      if (!chat) chat = new Chat(h.agent.id, c, c.visitor ?? null);
      chat.conversation = c;
      if (c.visitor) chat.visitor = c.visitor;
      chat.merge(c.messages ?? []);
      chat.addNotes(c.notes ?? []);
      if (c.tags) chat.tags = c.tags;
      if (isNew) {
        chat.adoptAsSeen();
        this.chats.set(c.id, chat);
        this.listener.added(chat, false);
      } else this.listener.updated(chat);
      void this.pump(chat);
    }
    for (const id of [...this.chats.keys()]) if (!held.has(id)) this.drop(id, null);
    this.listener.connection("online");
    // A new socket watches nothing: ask again for what this console was watching.
    for (const id of this.watched.keys()) void this.watch(id);
  }

  private onAssigned(a: Assigned): void {
    const me = this.agent.id;
    if (!a?.conversation || !heldBy(a.conversation, me)) return;
    const existing = this.chats.get(a.conversation.id);
    const chat = existing ?? new Chat(me, a.conversation, a.visitor);
    chat.conversation = a.conversation;
    if (a.visitor) chat.visitor = a.visitor;
    chat.merge(a.messages ?? []);
    // A transferred chat brings the notes its colleagues wrote: the new
    // holder must read them before answering, not after a reload.
    chat.addNotes(a.notes ?? []);
    if (a.tags) chat.tags = a.tags;
    if (existing) {
      this.listener.updated(chat);
      return;
    }
    chat.noteArrival();
    chat.fresh = true;
    this.chats.set(chat.id, chat);
    this.listener.added(chat, true);
    void this.catchUp(chat);
  }

  private onMessage(m: Message): void {
    const seen = m && this.watched.get(m.conversation_id);
    if (seen && typeof m.seq === "number") {
      seen.merge([m]);
      this.listener.watched?.(seen);
    }
    const chat = m && this.chats.get(m.conversation_id);
    if (!chat || typeof m.seq !== "number") return;
    const gap = m.seq > chat.transcript.lastSeq + 1;
    chat.merge([m]);
    if (m.sender === "visitor") this.setVisitorTyping(chat, false);
    this.listener.updated(chat);
    if (gap) void this.sync(chat);
  }

  private onConversation(c: Conversation): void {
    const seen = c && this.watched.get(c.id);
    if (seen && !isOutdated(seen.conversation, c)) {
      seen.conversation = c;
      this.listener.watched?.(seen);
    }
    const chat = c && this.chats.get(c.id);
    if (!chat) return;
    if (isOutdated(chat.conversation, c)) return; // overtaken on the way by a newer one
    if (!heldBy(c, this.agent.id)) {
      this.drop(c.id, c.state === "assigned" ? "transferred" : c.state);
      return;
    }
    chat.conversation = c;
    this.listener.updated(chat);
  }

  private onNote(n: Note): void {
    const seen = n && this.watched.get(n.conversation_id);
    if (seen) {
      seen.addNotes([n]);
      this.listener.watched?.(seen);
    }
    const chat = n && this.chats.get(n.conversation_id);
    if (!chat) return;
    chat.addNotes([n]);
    this.listener.updated(chat);
  }

  private onTags(ev: { conversation_id: string; tags: string[] }): void {
    if (!ev || !Array.isArray(ev.tags)) return;
    const seen = this.watched.get(ev.conversation_id);
    if (seen) {
      seen.tags = ev.tags;
      this.listener.watched?.(seen);
    }
    const chat = this.chats.get(ev.conversation_id);
    if (chat) {
      chat.tags = ev.tags;
      this.listener.updated(chat);
    }
  }

  private onTyping(ev: AgentTyping): void {
    const chat = ev && this.chats.get(ev.conversation_id);
    if (!chat || (ev.sender && ev.sender !== "visitor")) return;
    this.setVisitorTyping(chat, !!ev.typing);
  }

  /** The visitor has seen a chat up to `seq`: held and watched chats show it. */
  private onRead(ev: ReadEvent): void {
    if (ev?.by !== "visitor" || !ev.conversation_id) return;
    const seen = this.watched.get(ev.conversation_id);
    if (seen && higherMark(seen.visitorRead, ev.seq) !== seen.visitorRead) {
      seen.visitorRead = ev.seq;
      this.listener.watched?.(seen);
    }
    const chat = this.chats.get(ev.conversation_id);
    if (chat && higherMark(chat.visitorRead, ev.seq) !== chat.visitorRead) {
      chat.visitorRead = ev.seq;
      this.listener.updated(chat);
    }
  }

  private onVisitorPresence(p: VisitorPresenceEvent): void {
    const chat = p && this.chats.get(p.conversation_id);
    if (!chat?.visitor || chat.visitor.id !== p.visitor_id) return;
    if (p.presence !== "online" && p.presence !== "idle" && p.presence !== "left") return;
    chat.visitor.presence = p.presence;
    // Gone: they type nothing more.
    if (p.presence === "left") chat.visitorTyping = false;
    this.listener.updated(chat);
  }

  private setVisitorTyping(chat: Chat, typing: boolean): void {
    clearTimeout(this.typingTimers.get(chat.id));
    if (chat.visitorTyping === typing) return;
    chat.visitorTyping = typing;
    // A lost "typing: false" must not leave the indicator up forever.
    if (typing) this.typingTimers.set(chat.id, setTimeout(() => this.setVisitorTyping(chat, false), TYPING_MAX_MS));
    this.listener.updated(chat);
  }

  private drop(id: string, state: string | null): void {
    const chat = this.chats.get(id);
    if (!chat) return;
    this.chats.delete(id);
    clearTimeout(this.typingTimers.get(id));
    chat.forget();
    this.listener.removed(chat, state, this.lettingGo.has(id));
  }

  private async sync(chat: Chat): Promise<void> {
    const ack = await this.call<{ conversation: Conversation; messages: Message[] }>("sync", {
      conversation_id: chat.id,
      since_seq: chat.transcript.lastSeq,
    });
    if (ack.ok && this.chats.get(chat.id) === chat) {
      chat.merge(ack.messages ?? []);
      this.listener.updated(chat);
    }
  }

  /**
   * A message stored between the assignment snapshot and our joining the
   * live stream would otherwise wait for the next one to reveal the gap.
   */
  private async catchUp(chat: Chat): Promise<void> {
    if (chat.conversation.last_seq > chat.transcript.lastSeq) await this.sync(chat);
  }

  // ---- agent actions ------------------------------------------------------

  send(chat: Chat, text: string, attachments?: Attachment[]): void {
    const clean = text.replace(/\s+$/u, "");
    if (!clean.trim() && !attachments?.length) return;
    this.setTyping(chat, false);
    chat.outbox.add(clean, undefined, attachments);
    chat.markSeen();
    this.listener.updated(chat);
    void this.pump(chat);
  }

  async note(chat: Chat, text: string): Promise<Ack<{ note: Note }>> {
    const ack = await this.call<{ note: Note }>("note", { conversation_id: chat.id, text: text.trim() });
    if (ack.ok && ack.note) {
      chat.addNotes([ack.note]);
      this.listener.updated(chat);
    }
    return ack;
  }

  async transfer(chat: Chat, target: { to_agent_id?: string; to_team?: string }): Promise<Ack<{ conversation: Conversation }>> {
    return this.letGo(chat, "transfer", { conversation_id: chat.id, ...target });
  }

  async handback(chat: Chat): Promise<Ack<{ conversation: Conversation }>> {
    return this.letGo(chat, "handback", { conversation_id: chat.id });
  }

  async close(chat: Chat, resolution: string): Promise<Ack<{ conversation: Conversation }>> {
    const body: { conversation_id: string; resolution?: string } = { conversation_id: chat.id };
    if (resolution) body.resolution = resolution;
    return this.letGo(chat, "close", body);
  }

  /** Close, hand back or transfer: the chat's departure is this console's doing. */
  private async letGo(chat: Chat, event: string, body: object): Promise<Ack<{ conversation: Conversation }>> {
    this.lettingGo.add(chat.id);
    try {
      const ack = await this.call<{ conversation: Conversation }>(event, body);
      if (ack.ok && ack.conversation) this.onConversation(ack.conversation);
      return ack;
    } finally {
      this.lettingGo.delete(chat.id);
    }
  }

  /**
   * Supervisors: follow any conversation read-only. The chat is kept in
   * `watched` and updated live (`listener.watched`) until `unwatch`.
   */
  async watch(conversationId: string): Promise<Ack<{ chat: Chat }>> {
    const ack = await this.call<ConversationRecord>("watch", { conversation_id: conversationId });
    if (!ack.ok) return ack;
    const chat = this.watched.get(conversationId) ?? new Chat(`watch:${this.agent.id}`, ack.conversation, ack.visitor);
    chat.conversation = ack.conversation;
    if (ack.visitor) chat.visitor = ack.visitor;
    chat.merge(ack.messages ?? []);
    chat.addNotes(ack.notes ?? []);
    chat.tags = ack.tags ?? [];
    this.watched.set(conversationId, chat);
    this.listener.watched?.(chat);
    return { ok: true, chat };
  }

  unwatch(conversationId: string): void {
    const chat = this.watched.get(conversationId);
    if (!chat) return;
    this.watched.delete(conversationId);
    chat.forget();
    if (this.socket?.connected) this.socket.emit("unwatch", { conversation_id: conversationId });
  }

  /** Supervisors: become the holder of a chat an agent holds (it then arrives as `assigned`). */
  async takeover(conversationId: string): Promise<Ack<{ conversation: Conversation }>> {
    return this.call<{ conversation: Conversation }>("takeover", { conversation_id: conversationId });
  }

  /** A whisper: a note on a chat this console watches (the holder sees it, the visitor never). */
  async whisper(chat: Chat, text: string): Promise<Ack<{ note: Note }>> {
    const ack = await this.call<{ note: Note }>("note", { conversation_id: chat.id, text: text.trim() });
    if (ack.ok && ack.note) {
      chat.addNotes([ack.note]);
      this.listener.watched?.(chat);
    }
    return ack;
  }

  /** Reassign a chat to a chosen agent (a supervisor's `transfer`). */
  async reassign(conversationId: string, agentId: string): Promise<Ack<{ conversation: Conversation }>> {
    return this.call<{ conversation: Conversation }>("transfer", { conversation_id: conversationId, to_agent_id: agentId });
  }

  async presence(status: Exclude<Presence, "offline">): Promise<Ack<{ status: string }>> {
    const ack = await this.call<{ status: string }>("presence", { status });
    if (ack.ok) {
      this.status = status;
      this.agent = { ...this.agent, status };
      this.listener.agent(this.agent);
    }
    return ack;
  }

  /**
   * The transcript of one of the visitor's earlier conversations (read-only;
   * the gateway lets the agent holding the visitor's chat `sync` them).
   */
  async history(conversationId: string): Promise<Ack<{ messages: Message[] }>> {
    const all: Message[] = [];
    for (let since = 0; all.length < 5_000; ) {
      const ack = await this.call<{ messages: Message[] }>("sync", { conversation_id: conversationId, since_seq: since });
      if (!ack.ok) return ack;
      const batch = ack.messages ?? [];
      all.push(...batch);
      const last = batch[batch.length - 1];
      if (!last || batch.length < 500) break;
      since = last.seq;
    }
    return { ok: true, messages: all };
  }

  /**
   * Typing on/off transitions only, and only while connected (a stale
   * "typing" replayed after a reconnect is worthless). Not volatile: a
   * volatile emit is dropped whenever the transport is busy writing, and a
   * lost "off" would leave the visitor watching dots until their timeout.
   */
  setTyping(chat: Chat, typing: boolean): void {
    if ((this.typingSent.get(chat.id) ?? false) === typing) return;
    this.typingSent.set(chat.id, typing);
    if (this.socket?.connected) this.socket.emit("typing", { conversation_id: chat.id, typing });
  }

  /**
   * The agent has the chat in front of them (the console decides when):
   * report its newest seq (`read`) after a short wait that gathers a burst.
   * Only for chats this agent holds; a watched chat moves no mark.
   */
  markRead(chat: Chat): void {
    if (this.readTimers.has(chat.id)) return;
    this.readTimers.set(
      chat.id,
      setTimeout(() => {
        this.readTimers.delete(chat.id);
        const seq = chat.transcript.lastSeq;
        if (this.chats.get(chat.id) !== chat || seq <= chat.agentRead || !this.socket?.connected) return;
        const before = chat.agentRead;
        chat.agentRead = seq;
        void this.call("read", { conversation_id: chat.id, seq }).then((ack) => {
          // Not stored (a lost connection, the limit): the next look reports it again.
          if (!ack.ok && chat.agentRead === seq) chat.agentRead = before;
        });
      }, READ_DELAY_MS),
    );
  }

  /** Sends the chat's outbox one reply at a time, oldest first. */
  private async pump(chat: Chat): Promise<void> {
    if (chat.pumping) return;
    chat.pumping = true;
    try {
      while (this.socket?.connected && this.chats.get(chat.id) === chat) {
        const next = chat.outbox.list()[0];
        if (!next) break;
        const ack = await this.call<{ message: Message }>("message", {
          conversation_id: chat.id,
          client_id: next.client_id,
          text: next.text,
          ...(next.attachments?.length ? { attachments: next.attachments.map((a) => ({ id: a.id })) } : {}),
        });
        if (ack.ok) {
          chat.outbox.remove(next.client_id);
          if (ack.message) chat.merge([ack.message]);
          chat.markSeen();
        } else if (isPermanentError(ack.error)) {
          chat.outbox.remove(next.client_id);
          chat.failed.set(next.client_id, { item: next, reason: ack.message || ack.error, code: ack.error });
        } else {
          await sleep(RETRY_DELAY_MS);
          continue;
        }
        this.listener.updated(chat);
      }
    } finally {
      chat.pumping = false;
    }
  }

  /** An acked emit that never throws: timeouts and disconnects become `unavailable`. */
  private async call<T extends object>(event: string, body: object): Promise<Ack<T>> {
    const socket = this.socket;
    const unavailable = (message: string): AckError => ({ ok: false, error: "unavailable", message });
    // Never let Socket.IO buffer an emit for later: the outbox is our buffer.
    if (!socket?.connected) return unavailable("not connected");
    try {
      const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, body)) as Ack<T> | null;
      return ack && typeof ack === "object" ? ack : unavailable("empty ack");
    } catch {
      return unavailable("no answer in time");
    }
  }
}
