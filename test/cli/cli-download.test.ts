import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBundle } from '../../scripts/ensure-cli-bundle.mjs';
import { repoRoot, tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';

/**
 * The edge serves the admin CLI (GET /cli/rbee.mjs) that `npm start` builds when it is missing;
 * an admin downloads it, checks its sha256 from the header and runs it with plain node.
 */
let edge: Awaited<ReturnType<typeof inProcessEdge>>;
const bundle = join(tempDir('cli-served'), 'rbee.mjs');
let built = false;

beforeAll(async () => {
  built = ensureCliBundle(repoRoot, bundle); // what npm start does when dist/rbee.mjs is missing
  process.env.RBEE_CLI_BUNDLE = bundle;
  edge = await inProcessEdge();
}, 120_000);
afterAll(async () => {
  delete process.env.RBEE_CLI_BUNDLE;
  await edge?.close();
});

describe('GET /cli/rbee.mjs', () => {
  it('npm start builds the CLI bundle when it is missing, and leaves an existing one alone', () => {
    expect(built).toBe(true);
    const before = statSync(bundle).mtimeMs;
    expect(ensureCliBundle(repoRoot, bundle)).toBe(false);
    expect(statSync(bundle).mtimeMs).toBe(before);
  });

  it('serves the file with its version and sha256 in headers; the download runs with plain node', async () => {
    const meta = await fetch(`${edge.url}/cli/version`);
    const info = (await meta.json()) as { version: string; sha256: string; size: number };
    const onDisk = readFileSync(bundle);
    expect(info).toEqual({
      version: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version,
      sha256: createHash('sha256').update(onDisk).digest('hex'),
      size: onDisk.length,
    });

    const res = await fetch(`${edge.url}/cli/rbee.mjs`); // no token: it holds no secret
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-rbee-cli-version')).toBe(info.version);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      res.headers.get('x-rbee-cli-sha256'),
    );
    const alone = join(tempDir('cli-downloaded'), 'rbee.mjs');
    writeFileSync(alone, bytes);
    const run = promisify(execFile);
    const opts = {
      cwd: join(alone, '..'),
      env: { PATH: process.env.PATH, RBEE_ADMIN_TOKEN: ADMIN },
    };
    expect((await run(process.execPath, [alone, 'version'], opts)).stdout).toBe(
      `rbee ${info.version}\n`,
    );
    const me = await run(process.execPath, [alone, 'tokens', 'whoami', '--edge', edge.url], opts);
    expect(me.stdout).toBe('admin (admin)\n');
  }, 60_000);

  it('without a bundle: 404 NO_CLI_BUNDLE saying how to build one', async () => {
    process.env.RBEE_CLI_BUNDLE = join(tempDir('no-cli'), 'rbee.mjs');
    try {
      const res = await fetch(`${edge.url}/cli/rbee.mjs`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        code: 'NO_CLI_BUNDLE',
        error: 'this edge has no CLI bundle to serve: run `npm run build:cli` where the edge runs',
      });
    } finally {
      process.env.RBEE_CLI_BUNDLE = bundle;
    }
  });
});
