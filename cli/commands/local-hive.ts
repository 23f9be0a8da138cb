import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashToken } from '../../edge/auth/tokens.ts';
import { enrolHive } from '../../edge/hub/enrol-hive.ts';
import type { Store } from '../../edge/store/store.ts';

const NAME = 'local';

/**
 * The token of hive `local`, the agent `npm start` runs beside the edge. Kept in
 * `<data>/local-hive.token` (mode 0600) so restarts reuse the hive; re-enrolled when the file
 * or the hive is gone.
 */
export async function localHiveToken(store: Store, dataDir: string, now: number): Promise<string> {
  const file = join(dataDir, 'local-hive.token');
  const saved = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (saved && (await store.getHiveByTokenHash(await hashToken(saved)))?.name === NAME)
    return saved;
  const stale = await store.getHiveByName(NAME);
  if (stale) await store.deleteHive(stale.id);
  const enrolled = await enrolHive(store, { name: NAME, labels: { role: 'local' } }, now);
  if (!enrolled) throw new Error(`could not enrol hive "${NAME}"`);
  await writeFile(file, `${enrolled.token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return enrolled.token;
}
