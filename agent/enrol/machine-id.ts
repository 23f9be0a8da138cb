import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

const VALID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * This machine's identity for enrolment: `--machine-id`, else `/etc/machine-id`, else one the
 * agent generated and keeps in `<state>/machine-id`. The same machine re-enrolling gets its
 * hive back, not a second one.
 * @example const id = await machineId('/var/lib/rbee');
 */
export async function machineId(
  stateDir: string,
  override?: string,
  systemFile = '/etc/machine-id',
): Promise<string> {
  if (override !== undefined) return override;
  for (const path of [systemFile, join(stateDir, 'machine-id')]) {
    const text = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (VALID.test(text)) return text;
  }
  const id = randomBytes(16).toString('hex');
  await writeFileAtomic(join(stateDir, 'machine-id'), `${id}\n`, { mode: 0o600 });
  return id;
}

export const isMachineId = (text: string) => VALID.test(text);
