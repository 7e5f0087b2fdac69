// localStorage can throw (Safari private mode, disabled storage, quota). The
// widget must still chat without persistence, so every access is guarded and
// falls back to an in-memory map for the page's lifetime.

export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

class GuardedStore implements KeyValueStore {
  private readonly memory = new Map<string, string>();

  constructor(private readonly backing: () => Storage) {}

  get(key: string): string | null {
    try {
      return this.backing().getItem(key);
    } catch {
      return this.memory.get(key) ?? null;
    }
  }

  set(key: string, value: string): void {
    this.memory.set(key, value);
    try {
      this.backing().setItem(key, value);
    } catch {
      /* memory copy above keeps the value for this page */
    }
  }

  remove(key: string): void {
    this.memory.delete(key);
    try {
      this.backing().removeItem(key);
    } catch {
      /* nothing persisted, nothing to remove */
    }
  }
}

export const local: KeyValueStore = new GuardedStore(() => window.localStorage);
export const session: KeyValueStore = new GuardedStore(() => window.sessionStorage);

/**
 * Namespaces keys by gateway host, so two tsunagu installations embedded on
 * one site (or a staging and a production gateway) never share a visitor.
 */
export function scopedKeys(gatewayHost: string) {
  const prefix = `tsunagu:v1:${gatewayHost}:`;
  return {
    token: `${prefix}token`,
    visitor: `${prefix}visitor`,
    outbox: `${prefix}outbox`,
    seen: `${prefix}seen`,
    csat: `${prefix}csat`,
    open: `${prefix}open`,
    /** The visitor skipped the pre-chat form (nothing was required). */
    prechat: `${prefix}prechat`,
    locale: `${prefix}locale`,
  } as const;
}

export type StorageKeys = ReturnType<typeof scopedKeys>;

export function readJson<T>(store: KeyValueStore, key: string, fallback: T): T {
  const raw = store.get(key);
  if (raw === null) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}
