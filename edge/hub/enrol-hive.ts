import { hashToken, newToken, randomId } from '../auth/tokens.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

/**
 * Creates a hive and its token. The token is returned once and only its hash is stored.
 * Returns null when the name is taken.
 * @example const enrolled = await enrolHive(store, { name: 'gpu-01' }, Date.now());
 */
export async function enrolHive(
  store: Store,
  input: { name: string; labels?: Record<string, string> },
  now: number,
): Promise<{ hive: HiveRecord; token: string } | null> {
  const token = newToken('rbh_');
  const hive: HiveRecord = {
    id: `hive_${randomId(16)}`,
    name: input.name,
    labels: input.labels ?? {},
    token_hash: await hashToken(token),
    created_at: now,
    last_seen: null,
    platform: null,
    installed: [],
    agent_version: null,
  };
  return (await store.createHive(hive)) ? { hive, token } : null;
}
