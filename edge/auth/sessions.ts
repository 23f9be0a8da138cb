import type { Role } from '../../shared/api/tokens.ts';
import type { Store } from '../store/store.ts';
import { newSessionGeneration, SESSION_GENERATION_KEY } from './admin-token.ts';
import { hashToken, randomId, sameDigest } from './tokens.ts';

/** The dashboard's session cookie. It holds a random id; the store keeps only its SHA-256. */
export const SESSION_COOKIE = 'rbee_session';
/** A signed-in browser stays signed in this long. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

/**
 * `gen`: the session generation it was made in (a new admin token or revoke-all ends it).
 * `name`, `role`, `token_hash`: the named API token it was opened with (none: the bootstrap
 * admin token); the session lasts only while that token is neither revoked nor expired.
 */
export type Session = {
  csrf: string;
  expires: number;
  gen?: string;
  name?: string;
  role?: Role;
  token_hash?: string;
};

/** Who a session acts for when it was opened with a named token. */
export type SessionPrincipal = { name: string; role: Role; token_hash: string };

const key = async (id: string) => `session:${await hashToken(id)}`;

/**
 * Dashboard sessions, kept as meta entries so they live in whatever engine the Store uses
 * (Deno KV on Node and on Deno). Each session has its own CSRF token for unsafe requests.
 * @example const { id, session } = await sessions.create(); setCookie(c, SESSION_COOKIE, id)
 */
export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {}

  async create(as?: SessionPrincipal): Promise<{ id: string; session: Session }> {
    const id = randomId(40);
    const session: Session = {
      csrf: randomId(32),
      expires: this.now() + this.ttlMs,
      gen: (await this.store.getMeta(SESSION_GENERATION_KEY)) ?? '',
      ...(as ? { name: as.name, role: as.role, token_hash: as.token_hash } : {}),
    };
    await this.store.setMeta(await key(id), JSON.stringify(session));
    return { id, session };
  }

  /** The live session for a cookie value, or null when unknown, ended or expired. */
  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[a-z2-7]{40}$/.test(id)) return null;
    const raw = await this.store.getMeta(await key(id));
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    const gen = (await this.store.getMeta(SESSION_GENERATION_KEY)) ?? '';
    if (
      session.expires > this.now() &&
      (session.gen ?? '') === gen &&
      (await this.#tokenLive(session))
    )
      return session;
    await this.store.deleteMeta(await key(id)); // an expired session is removed when it is shown
    return null;
  }

  /** A session opened with a named token ends when that token is revoked or expires. */
  async #tokenLive(session: Session): Promise<boolean> {
    if (!session.token_hash) return true;
    const token = await this.store.getApiTokenByHash(session.token_hash);
    if (!token || token.revoked_at !== null) return false;
    return token.expires_at === null || token.expires_at > this.now();
  }

  /** Signs every browser out: sessions of the old generation open nothing any more. */
  async revokeAll(): Promise<void> {
    await newSessionGeneration(this.store);
  }

  /** Ends a session: its entry is removed, so the cookie opens nothing any more. */
  async end(id: string | undefined): Promise<void> {
    if (id && /^[a-z2-7]{40}$/.test(id)) await this.store.deleteMeta(await key(id));
  }
}

/** Does a CSRF token sent with a request match the session's, in constant time? */
export const csrfMatches = (session: Session, sent: string | undefined | null) =>
  typeof sent === 'string' && sameDigest(session.csrf, sent);
