import { execFile } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderBlobStore } from '../../edge/node/folder-blob-store.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';

/**
 * The edge's data folder holds the admin token's hash, sessions, hive token hashes and every
 * log: it is the edge user's alone (folder 0700, files 0600) even under `umask 000`, and
 * another user cannot read or list it.
 */
const parent = tempDir('perm');
const dataDir = join(parent, 'data');
let edge: Awaited<ReturnType<typeof inProcessEdge>>;

beforeAll(async () => {
  chmodSync(parent, 0o755); // only the data folder's own mode stands in the way
  const umask = process.umask(0o000); // the worst umask an operator could have
  try {
    edge = await inProcessEdge({}, dataDir);
    await edge.enrol('perm-hive'); // something written
    await new FolderBlobStore(join(dataDir, 'packages')).put('a'.repeat(64), new Uint8Array([1]));
  } finally {
    process.umask(umask);
  }
}, 60_000);
afterAll(() => edge?.close());

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

describe('the edge data folder', () => {
  it('is 0700 with every file 0600 and every folder 0700, under umask 000', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const entries = walk(dataDir);
    expect(entries.map((p) => p.slice(dataDir.length + 1))).toEqual(
      expect.arrayContaining(['edge.kv', 'packages', `packages/${'a'.repeat(64)}`]),
    );
    for (const path of entries) {
      const st = statSync(path);
      expect((st.mode & 0o777).toString(8), path).toBe(st.isDirectory() ? '700' : '600');
    }
  });

  it('holds the admin token only as a salted PBKDF2 hash, which another user cannot read', async () => {
    // The KV file and its write-ahead log (where recent writes are until a checkpoint).
    const kv = readdirSync(dataDir)
      .filter((name) => name.startsWith('edge.kv'))
      .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
      .join('');
    expect(kv).not.toContain(ADMIN);
    expect(kv).toMatch(/pbkdf2-sha256\$100000\$/);
    const asNobody = (...cmd: string[]) =>
      promisify(execFile)('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...cmd]);
    for (const attempt of [
      ['cat', join(dataDir, 'edge.kv')],
      ['cat', join(dataDir, 'edge.kv-wal')],
      ['ls', dataDir],
      ['cat', join(dataDir, 'packages', 'a'.repeat(64))],
    ]) {
      const refused = await asNobody(...attempt).catch((e: { stderr: string; code: number }) => e);
      expect((refused as { code: number }).code, attempt.join(' ')).toBeGreaterThan(0);
      expect((refused as { stderr: string }).stderr).toContain('Permission denied');
    }
  });

  it('two edges given the same admin token store different hashes (a salt each)', async () => {
    const other = await inProcessEdge({}, join(tempDir('perm2'), 'data'));
    try {
      const a = await edge.edge.store.getMeta('admin_token_hash');
      const b = await other.edge.store.getMeta('admin_token_hash');
      expect(a).toMatch(/^pbkdf2-sha256\$/);
      expect(b).toMatch(/^pbkdf2-sha256\$/);
      expect(a).not.toBe(b);
    } finally {
      await other.close();
    }
  });
});
