import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../agent/fs/atomic-write.ts';
import { seedEntries } from '../../edge/catalog/entries.ts';
import { catalogEntrySchema } from '../../shared/catalog/schema.ts';
import { readPrivateKey, type SigningKey } from '../../shared/catalog/signature.ts';
import {
  localFiles,
  STATEMENT_FILE,
  StatementError,
  signStatement,
} from '../../shared/catalog/statement.ts';
import { parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';

const usage = `usage: rbee catalog sign --key PREFIX.key [--out DIR] [--unpinned ID]... [--valid-days N] CATALOG_DIR

Signs each worker folder of CATALOG_DIR (CATALOG_DIR/<id>/PKGBUILD, with worker.json or a seeded
entry): a statement of its id, version, the sha256 of its PKGBUILD and of every file it names,
and the commit of each VCS source, signed with the fleet's private key. Written to
<id>/statement.json in CATALOG_DIR, or in --out DIR (then start the edge with --statements DIR).

Refuses a VCS source without #commit= and a non-local source whose checksum is SKIP, unless
the worker is named with --unpinned ID (agents then warn on every job).

options:
  --key FILE        the fleet private key (rbee keys generate)
  --out DIR         write statements to DIR/<id>/statement.json instead of beside the PKGBUILD
  --unpinned ID     sign this worker although a source is not pinned (repeatable)
  --valid-days N    statements expire after N days (default 365; 0: never)`;

export type SignOptions = {
  out?: string;
  unpinned?: string[];
  validForMs?: number | null;
  /** Called for a worker that cannot be signed; without it, the first one throws. */
  skip?: (id: string, error: StatementError) => void;
  now?: number;
};

/**
 * Signs every worker folder of `dir` and returns the ids signed.
 * @example await signCatalog('edge/catalog/workers', await readPrivateKey(pem), { out: 'signed' });
 */
export async function signCatalog(dir: string, key: SigningKey, options: SignOptions = {}) {
  const signed: string[] = [];
  const seeded = new Map(seedEntries.map((e) => [e.id, e]));
  for (const id of (await readdir(dir)).sort()) {
    const folder = join(dir, id);
    if (!(await stat(folder)).isDirectory()) continue;
    const names = await readdir(folder);
    if (!names.includes('PKGBUILD')) continue;
    const raw = names.includes('worker.json')
      ? JSON.parse(await readFile(join(folder, 'worker.json'), 'utf8'))
      : seeded.get(id);
    if (!raw) throw new UsageError(`${folder} has no worker.json and is not a seeded worker`);
    const entry = catalogEntrySchema.parse(raw);
    const pkgbuildBytes = new Uint8Array(await readFile(join(folder, 'PKGBUILD')));
    const parsed = parsePkgbuild(new TextDecoder().decode(pkgbuildBytes), {
      filename: `${id}/PKGBUILD`,
      fileExists: (path) => names.includes(path),
    });
    const files = new Map<string, Uint8Array>();
    for (const name of localFiles(parsed)) {
      files.set(name, new Uint8Array(await readFile(join(folder, name))));
    }
    try {
      const envelope = await signStatement(
        {
          worker: entry.id,
          version: entry.version,
          pkgbuildBytes,
          parsed,
          files,
          unpinned: options.unpinned?.includes(entry.id) ?? false,
          now: options.now ?? Date.now(),
          validForMs: options.validForMs === undefined ? 365 * 86_400_000 : options.validForMs,
        },
        key,
      );
      const target = options.out ? join(options.out, id) : folder;
      await mkdir(target, { recursive: true });
      await writeFileAtomic(join(target, STATEMENT_FILE), `${JSON.stringify(envelope, null, 2)}\n`);
      signed.push(entry.id);
    } catch (error) {
      if (error instanceof StatementError && options.skip) options.skip(entry.id, error);
      else throw error;
    }
  }
  return signed;
}

/** `rbee catalog sign`. */
export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'sign a catalog folder with the fleet key (rbee catalog sign --key K DIR)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        key: { type: 'string' },
        out: { type: 'string' },
        unpinned: { type: 'string', multiple: true },
        'valid-days': { type: 'string' },
      },
      true,
    );
    if (positionals[0] !== 'sign' || positionals.length !== 2) {
      throw new UsageError('usage: rbee catalog sign --key PREFIX.key [--out DIR] CATALOG_DIR');
    }
    if (!values.key) throw new UsageError('--key FILE is required (the fleet private key)');
    const days = values['valid-days'] ?? '365';
    if (!/^\d{1,5}$/.test(days))
      throw new UsageError(`--valid-days must be a whole number, got "${days}"`);
    const key = await readPrivateKey(await readFile(values.key, 'utf8'));
    try {
      const signed = await signCatalog(resolve(positionals[1]!), key, {
        ...(values.out ? { out: resolve(values.out) } : {}),
        unpinned: values.unpinned ?? [],
        validForMs: days === '0' ? null : Number(days) * 86_400_000,
      });
      process.stdout.write(
        `signed ${signed.length} workers with key ${key.id}: ${signed.join(', ')}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof StatementError) {
        process.stderr.write(`rbee catalog sign: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  },
};
