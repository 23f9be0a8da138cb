import type { Context } from 'hono';
import { Hono } from 'hono';
import {
  type PackageRecord,
  packageUploadSchema,
  sha256HexSchema,
} from '../../shared/repo/package-record.ts';
import { repoDb } from '../../shared/repo/repo-db.ts';
import { formatIssue } from '../../shared/validation/format-issue.ts';
import { apiError } from '../http/errors.ts';
import type { EdgeOptions } from '../options.ts';
import type { BlobStore } from '../packages/blob-store.ts';
import { checkUploadRecord, notABuilder } from '../packages/builder-upload.ts';
import { cachedPlatforms, packageView } from '../packages/package-summary.ts';
import { readLimited, sha256Hex, TooLargeError } from '../packages/read-limited.ts';
import { recordsToDrop, unreferencedBlobs } from '../packages/retention.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { authenticateAgent } from './agent-socket.ts';

/** The package cache's limits (EdgeOptions; `rbee edge --max-package-bytes N --keep-package-versions K`). */
export type PackageOptions = Pick<EdgeOptions, 'maxPackageBytes' | 'keepPackageVersions'>;

const ARCH = /^[A-Za-z0-9_]{1,32}$/;

/**
 * The package cache: hives upload what they built (`PUT /agent/blobs/:sha256`, then
 * `PUT /agent/packages/:key`) and download what others built; admins list and delete
 * (`/api/packages`); pacman reads `/repo/<arch>/rbee.db` and the files beside it.
 */
export function packagesRoutes(
  store: Store,
  blobs: BlobStore,
  options: PackageOptions,
  now: () => number,
) {
  const app = new Hono();

  const hiveOf = async (c: Context): Promise<HiveRecord | Response> => {
    const auth = await authenticateAgent(store, c.req.header('Authorization'));
    return 'hive' in auth ? auth.hive : apiError(c, auth.status, auth.code, auth.error);
  };
  const shaParam = (c: Context): string | Response => {
    const sha = c.req.param('sha256') ?? '';
    const ok = sha256HexSchema.safeParse(sha);
    return ok.success
      ? sha
      : apiError(c, 400, 'BAD_SHA256', `bad blob name: ${formatIssue(ok.error, 'sha256')}`);
  };
  const keyParam = (c: Context): string | Response => {
    const key = c.req.param('key') ?? '';
    const ok = sha256HexSchema.safeParse(key);
    return ok.success
      ? key
      : apiError(c, 400, 'BAD_KEY', `bad cache key: ${formatIssue(ok.error, 'key')}`);
  };
  const octets = (c: Context, bytes: Uint8Array, name: string) => {
    c.header('Content-Type', 'application/octet-stream');
    c.header('Content-Disposition', `attachment; filename="${name}"`);
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  };

  app.put('/agent/blobs/:sha256', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    if (hive.builder !== true) return notABuilder(c, hive);
    const sha = shaParam(c);
    if (sha instanceof Response) return sha;
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(c.req.raw, options.maxPackageBytes);
    } catch (error) {
      if (error instanceof TooLargeError)
        return apiError(
          c,
          413,
          'PACKAGE_TOO_LARGE',
          `package file is larger than ${error.limit} bytes (maxPackageBytes)`,
        );
      throw error;
    }
    const actual = await sha256Hex(bytes);
    if (actual !== sha) {
      return apiError(c, 400, 'SHA256_MISMATCH', `the body's sha256 is ${actual}, not ${sha}`);
    }
    if (!(await blobs.has(sha))) await blobs.put(sha, bytes);
    return c.json({ sha256: sha, size: bytes.length }, 201);
  });

  app.get('/agent/blobs/:sha256', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    const sha = shaParam(c);
    if (sha instanceof Response) return sha;
    const bytes = await blobs.get(sha);
    if (!bytes) return apiError(c, 404, 'NO_BLOB', `no package file with sha256 ${sha}`);
    return octets(c, bytes, sha);
  });

  app.get('/agent/packages/:key', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    const key = keyParam(c);
    if (key instanceof Response) return key;
    const record = await store.getPackage(key);
    if (!record) return apiError(c, 404, 'NO_PACKAGE', `no cached package for key ${key}`);
    return c.json({ package: record });
  });

  app.put('/agent/packages/:key', async (c) => {
    const hive = await hiveOf(c);
    if (hive instanceof Response) return hive;
    if (hive.builder !== true) return notABuilder(c, hive);
    const key = keyParam(c);
    if (key instanceof Response) return key;
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(await readLimited(c.req.raw, 4 * 1024 * 1024)));
    } catch (error) {
      if (error instanceof TooLargeError)
        return apiError(
          c,
          413,
          'BODY_TOO_LARGE',
          `request body is larger than ${error.limit} bytes`,
        );
      return apiError(
        c,
        400,
        'BAD_JSON',
        `request body is not valid JSON: ${(error as Error).message}`,
      );
    }
    const parsed = packageUploadSchema.safeParse(raw);
    if (!parsed.success)
      return apiError(c, 400, 'BAD_REQUEST', formatIssue(parsed.error, '(body)'));
    const refused = await checkUploadRecord(c, hive, key, parsed.data);
    if (refused) return refused;
    for (const f of parsed.data.files) {
      if (!(await blobs.has(f.sha256)))
        return apiError(
          c,
          409,
          'MISSING_BLOB',
          `upload ${f.filename} (sha256 ${f.sha256}) before its record`,
        );
    }
    const record: PackageRecord = { ...parsed.data, key, built_by: hive.id, built_at: now() };
    await store.putPackage(record);
    if (options.keepPackageVersions > 0)
      await applyRetention(store, blobs, options.keepPackageVersions);
    return c.json({ package: record }, 201);
  });

  app.get('/api/packages', async (c) => {
    const worker = c.req.query('worker');
    const list = (await store.listPackages())
      .filter((r) => worker === undefined || r.worker === worker)
      .sort((a, b) => b.built_at - a.built_at);
    const hives = await store.listHives();
    return c.json({
      packages: list.map((r) => packageView(r, hives)),
      workers: cachedPlatforms(list, hives),
    });
  });

  app.delete('/api/packages/:key', async (c) => {
    const key = keyParam(c);
    if (key instanceof Response) return key;
    const record = await store.getPackage(key);
    if (!record || !(await store.deletePackage(key)))
      return apiError(c, 404, 'NO_PACKAGE', `no cached package for key ${key}`);
    for (const sha of unreferencedBlobs([record], await store.listPackages()))
      await blobs.delete(sha);
    return c.json({ deleted: key });
  });

  const repoFiles = async (arch: string) =>
    (await store.listPackages())
      .sort((a, b) => a.built_at - b.built_at)
      .flatMap((r) => r.files)
      .filter((f) => f.arch === arch || f.arch === 'any');

  app.get('/repo/:arch/:file', async (c) => {
    const arch = c.req.param('arch');
    const file = c.req.param('file');
    if (!ARCH.test(arch)) return apiError(c, 400, 'BAD_ARCH', `bad architecture "${arch}"`);
    const files = await repoFiles(arch);
    if (file === 'rbee.db' || file === 'rbee.db.tar.gz') {
      return octets(c, await repoDb(files, Math.floor(now() / 1000)), file);
    }
    const found = files.findLast((f) => f.filename === file);
    if (!found) return apiError(c, 404, 'NOT_FOUND', `no package file ${file} for ${arch}`);
    const bytes = await blobs.get(found.sha256);
    if (!bytes)
      return apiError(c, 404, 'NO_BLOB', `package file ${file} is missing from the blob store`);
    return octets(c, bytes, file);
  });

  return app;
}

/** Drops records beyond the newest `keep` versions of each worker, and files nobody uses. */
async function applyRetention(store: Store, blobs: BlobStore, keep: number) {
  const all = await store.listPackages();
  const drop = recordsToDrop(all, keep);
  if (drop.length === 0) return;
  for (const r of drop) await store.deletePackage(r.key);
  const remaining = all.filter((r) => !drop.includes(r));
  for (const sha of unreferencedBlobs(drop, remaining)) await blobs.delete(sha);
}
