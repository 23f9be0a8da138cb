import type { Store } from '../store/store.ts';
import { hashToken, newToken } from './tokens.ts';

const META_KEY = 'admin_token_hash';

/**
 * Makes sure an admin token exists. `RBEE_ADMIN_TOKEN` (passed in as `fromEnv`) replaces the
 * stored hash; otherwise the first start generates one. Returns the token only when it was
 * generated now, so the caller prints it once; it is never stored in the clear.
 */
export async function ensureAdminToken(
  store: Store,
  fromEnv: string | undefined,
): Promise<string | null> {
  if (fromEnv) {
    await store.setMeta(META_KEY, await hashToken(fromEnv));
    return null;
  }
  if (await store.getMeta(META_KEY)) return null;
  const token = newToken('rba_');
  await store.setMeta(META_KEY, await hashToken(token));
  return token;
}

export const adminTokenHash = (store: Store) => store.getMeta(META_KEY);
