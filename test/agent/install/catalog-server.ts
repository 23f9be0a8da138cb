import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { loadCatalog } from '../../../edge/catalog/catalog.ts';
import { seedEntries } from '../../../edge/catalog/entries.ts';
import { catalogRoot, fsCatalogReader } from '../../../edge/node/catalog-reader.ts';
import { workersRoutes } from '../../../edge/routes/workers.ts';
import { tempDir } from '../../support/edge-process.ts';

const helloDir = join(catalogRoot.pathname, 'rbee-hello-worker');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A version of the offline demo worker, changed as a test needs. */
export type HelloVariant = {
  version?: string;
  /** Ships the man page (1.0.0 does). */
  man?: boolean;
  /** The config file's content (the catalog's when unset). */
  conf?: string;
  /** An extra file the package installs, relative to pkgdir. */
  extraFile?: string;
  depends?: string[];
  /** build() exits 1 after printing a line. */
  buildFails?: boolean;
};

/** Writes a catalog folder `<dir>/rbee-hello-worker/` (worker.json, PKGBUILD, files) for a variant. */
export function writeHelloVariant(dir: string, v: HelloVariant = {}) {
  const version = v.version ?? '1.0.0';
  const folder = join(dir, 'rbee-hello-worker');
  mkdirSync(folder, { recursive: true });
  for (const f of ['rbee-hello-worker.sh', 'rbee-hello-worker.1', 'hello-worker.conf'])
    cpSync(join(helloDir, f), join(folder, f));
  const conf = v.conf ?? readFileSync(join(helloDir, 'hello-worker.conf'), 'utf8');
  writeFileSync(join(folder, 'hello-worker.conf'), conf);
  const entry = { ...seedEntries.find((e) => e.id === 'rbee-hello-worker')!, version };
  writeFileSync(join(folder, 'worker.json'), JSON.stringify(entry));
  let pkgbuild = readFileSync(join(helloDir, 'PKGBUILD'), 'utf8')
    .replace('pkgver=1.0.0', `pkgver=${version}`)
    .replace('1104963242b99e4306e54f30367dc9d9075706dc8c65e2d60ad785b65fcde9d1', sha(conf));
  if (v.depends)
    pkgbuild = pkgbuild.replace(
      "depends=('bash')",
      `depends=(${v.depends.map((d) => `'${d}'`).join(' ')})`,
    );
  if (v.man === false)
    pkgbuild = pkgbuild.replace(/\n\s*install -Dm644 rbee-hello-worker\.1 [^\n]*/, '');
  if (v.extraFile)
    pkgbuild = pkgbuild.replace(
      /\n}\s*$/,
      `\n  install -Dm644 hello-worker.conf "$pkgdir/${v.extraFile}"\n}\n`,
    );
  if (v.buildFails)
    pkgbuild = pkgbuild.replace('build() {', 'build() {\n  echo "about to fail"\n  exit 1');
  writeFileSync(join(folder, 'PKGBUILD'), pkgbuild);
}

/**
 * The edge's real catalog routes (`/workers/...`) over a catalog folder, on a free port: the
 * pipeline's metadata, PKGBUILD and source downloads go over real HTTP.
 */
export async function catalogServer(setup: (dir: string) => void) {
  const dir = tempDir('catalog');
  setup(dir);
  const reader = fsCatalogReader(pathToFileURL(`${dir}/`));
  const seeds = seedEntries.filter((e) => e.id.startsWith('llm-worker-'));
  const catalog = await loadCatalog(seeds, fsCatalogReader(catalogRoot), reader);
  const app = new Hono();
  app.route('/', workersRoutes(catalog));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A state dir the unprivileged build user (uid 65534) can reach. */
export function stateDir(prefix = 'install-state') {
  const dir = tempDir(prefix);
  chmodSync(dir, 0o755);
  return dir;
}
