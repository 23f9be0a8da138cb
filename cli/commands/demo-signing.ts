import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EdgeConfig } from '../../edge/config.ts';
import { catalogRoot } from '../../edge/node/catalog-reader.ts';
import { readPrivateKey } from '../../shared/catalog/signature.ts';
import { signCatalog } from './catalog-sign.ts';
import { generateKeyFiles } from './keys.ts';

/**
 * `rbee start`'s demo trust, so the demo stays one command: a fleet key made once in the data
 * folder (`<data>/fleet.key`, 0600), the seeded and `--catalog` workers signed into
 * `<data>/statements/` at every start, the edge serving them and the local agent trusting
 * `<data>/fleet.pub`. A `--catalog` worker that cannot be signed (unpinned) is left unsigned,
 * so the agent refuses it, naming the rule. Returns the public key file.
 */
export async function demoSigning(config: EdgeConfig): Promise<string> {
  const data = resolve(config.dataDir);
  const prefix = join(data, 'fleet');
  if (
    !(await access(`${prefix}.key`).then(
      () => true,
      () => false,
    ))
  ) {
    const made = await generateKeyFiles(prefix);
    process.stdout.write(`demo fleet key ${made.id} made in ${made.key}\n`);
  }
  const key = await readPrivateKey(await readFile(`${prefix}.key`, 'utf8'));
  const out = join(data, 'statements');
  const skip = (id: string, error: Error) =>
    process.stdout.write(`not signing ${id}: ${error.message}\n`);
  await signCatalog(fileURLToPath(catalogRoot), key, { out, skip });
  if (config.catalogDir) await signCatalog(resolve(config.catalogDir), key, { out, skip });
  config.statementsDir = out;
  return `${prefix}.pub`;
}
