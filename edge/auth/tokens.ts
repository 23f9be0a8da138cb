const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Random base32 text from the platform's CSPRNG. */
export function randomId(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/**
 * A new secret token: `rbh_` for hives, `rba_` for the admin. 40 base32 characters = 200 bits.
 * @example newToken('rbh_') // 'rbh_k3…'
 */
export const newToken = (prefix: 'rbh_' | 'rba_') => `${prefix}${randomId(40)}`;

/** SHA-256 hex of a token. Tokens are long and random, so a fast hash is the right one. */
export async function hashToken(token: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
  );
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Compares two equal-length hex digests without an early exit. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
