import type { Store } from '../store/store.ts';
import { hashToken, newToken, randomId, sameDigest } from './tokens.ts';

const META_KEY = 'admin_token_hash';
/** Changes whenever the admin token does (and on revoke-all): sessions of another one end. */
export const SESSION_GENERATION_KEY = 'session_generation';

/** Shorter admin tokens are refused: they are chosen by people and guessed by machines. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/** PBKDF2-SHA-256 rounds for the stored hash (a user-chosen token must be slow to brute-force). */
const ROUNDS = 100_000;

/** RBEE_ADMIN_TOKEN is not usable; the message names the rule. */
export class AdminTokenError extends Error {
  override name = 'AdminTokenError';
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

async function pbkdf2(token: string, salt: Uint8Array, rounds: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(token) as BufferSource,
    'PBKDF2',
    false,
    ['deriveBits'],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations: rounds },
    key,
    256,
  );
  return b64(new Uint8Array(bits));
}

/** `pbkdf2-sha256$<rounds>$<salt>$<hash>`: salted, slow, self-describing. */
export async function hashAdminToken(token: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `pbkdf2-sha256$${ROUNDS}$${b64(salt)}$${await pbkdf2(token, salt, ROUNDS)}`;
}

/** Checks a token against a stored hash (also the unsalted SHA-256 hex of older data dirs). */
export async function verifyAdminToken(token: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length === 4 && parts[0] === 'pbkdf2-sha256') {
    const salt = Uint8Array.from(atob(parts[2]!), (ch) => ch.charCodeAt(0));
    return sameDigest(parts[3]!, await pbkdf2(token, salt, Number(parts[1])));
  }
  return /^[0-9a-f]{64}$/.test(stored) && sameDigest(stored, await hashToken(token));
}

/**
 * Makes sure an admin token exists. `RBEE_ADMIN_TOKEN` (passed in as `fromEnv`) replaces the
 * stored hash (at least 32 characters, else AdminTokenError ADMIN_TOKEN_TOO_SHORT); otherwise
 * the first start generates one. A new token starts a new session generation, so every
 * dashboard session of the old one ends. Returns the token only when it was generated now.
 */
export async function ensureAdminToken(
  store: Store,
  fromEnv: string | undefined,
): Promise<string | null> {
  const stored = await store.getMeta(META_KEY);
  if (fromEnv) {
    if (fromEnv.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new AdminTokenError(
        `ADMIN_TOKEN_TOO_SHORT: RBEE_ADMIN_TOKEN has ${fromEnv.length} characters; it must have at least ${MIN_ADMIN_TOKEN_LENGTH} (e.g. openssl rand -base64 32)`,
      );
    }
    const same = stored !== null && (await verifyAdminToken(fromEnv, stored));
    if (same && stored.startsWith('pbkdf2')) return null;
    await store.setMeta(META_KEY, await hashAdminToken(fromEnv));
    if (!same) await newSessionGeneration(store);
    return null;
  }
  if (stored) return null;
  const token = newToken('rba_');
  await store.setMeta(META_KEY, await hashAdminToken(token));
  await newSessionGeneration(store);
  return token;
}

/** Ends every dashboard session at once (a changed admin token, or revoke-all). */
export async function newSessionGeneration(store: Store): Promise<string> {
  const generation = randomId(16);
  await store.setMeta(SESSION_GENERATION_KEY, generation);
  return generation;
}

export const adminTokenHash = (store: Store) => store.getMeta(META_KEY);
