import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { StoreBlobStore } from '../../edge/packages/blob-store.ts';
import {
  generateKeyPair,
  readPrivateKey,
  type SigningKey,
} from '../../shared/catalog/signature.ts';
import { signBuildRecord } from '../../shared/repo/build-record.ts';
import { tempDir } from '../support/edge-process.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

const LIMIT = 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const KEY = (n: number) => n.toString(16).padStart(64, '0');

let fx: Awaited<ReturnType<typeof inProcessEdge>>;
let hive: { id: string; token: string };
let builderKey: SigningKey;

beforeAll(async () => {
  fx = await inProcessEdge({ maxPackageBytes: LIMIT, keepPackageVersions: 2 });
  hive = await fx.enrol('builder');
  const pair = await generateKeyPair();
  builderKey = await readPrivateKey(pair.privatePem);
  expect((await fx.api('POST', `/api/hives/${hive.id}/builder`, { builder: true })).status).toBe(
    200,
  );
  const registered = await put(
    '/agent/builder-key',
    JSON.stringify({ public_key: pair.publicPem }),
  );
  expect(registered.status).toBe(200);
}, 30_000);
afterAll(() => fx.close());

const put = (path: string, body: BodyInit, token: string | null = hive.token, init = {}) =>
  fetch(`${fx.url}${path}`, {
    method: 'PUT',
    body,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    ...init,
  });

/** An upload as the agent makes it: the record signed with the builder's key. */
async function record(
  version: string,
  file: Uint8Array,
  key = KEY(10),
  signer: SigningKey | null = null,
  hiveId = '',
) {
  const unsigned = unsignedRecord(version, file);
  const signed = await signBuildRecord(
    {
      key,
      worker: unsigned.worker,
      version,
      hive: hiveId || hive.id,
      job: unsigned.job,
      built_at: 1,
      files: unsigned.files.map(({ pkgname, filename, arch, sha256, size }) => ({
        pkgname,
        filename,
        arch,
        sha256,
        size,
      })),
    },
    signer ?? builderKey,
  );
  return { ...unsigned, signed };
}

const unsignedRecord = (version: string, file: Uint8Array) => ({
  worker: 'rbee-hello-worker',
  version,
  job: 'job_test0000',
  facts: {
    os: 'linux',
    arch: 'x86_64',
    accelerators: [],
    worker_type: 'cpu',
    pkgver: version.split('-')[0],
    pkgrel: '1',
    epoch: '',
    pkgbuild_sha256: KEY(1),
  },
  files: [
    {
      pkgname: 'rbee-hello-worker',
      filename: `rbee-hello-worker-${version}-x86_64.pkg.tar.zst`,
      arch: 'x86_64',
      sha256: sha(file),
      md5: md5(file),
      size: file.length,
      pkginfo: `pkgname = rbee-hello-worker\npkgver = ${version}\narch = x86_64\n`,
    },
  ],
});

describe('package uploads (PUT /agent/blobs/:sha256)', () => {
  it('take a hive token, and only a hive token', async () => {
    const b = bytes(10);
    expect((await put(`/agent/blobs/${sha(b)}`, b, null)).status).toBe(401);
    const admin = await put(
      `/agent/blobs/${sha(b)}`,
      b,
      'rba_test_admin_token_for_the_suite_0000000',
    );
    expect(admin.status).toBe(401);
    expect(await admin.json()).toEqual({
      code: 'UNAUTHORIZED',
      error: 'unknown or revoked hive token',
    });
  });

  it('refuse a body whose sha256 is not its name, and a name that is no sha256', async () => {
    const b = bytes(10);
    const res = await put(`/agent/blobs/${KEY(5)}`, b);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'SHA256_MISMATCH',
      error: `the body's sha256 is ${sha(b)}, not ${KEY(5)}`,
    });
    const bad = await put('/agent/blobs/not-a-sha', b);
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('BAD_SHA256');
  });

  it('take a file just below and at maxPackageBytes, and refuse one byte more', async () => {
    for (const n of [LIMIT - 1, LIMIT]) {
      const b = bytes(n, n & 0xff);
      const res = await put(`/agent/blobs/${sha(b)}`, b);
      expect(res.status, String(n)).toBe(201);
      expect(await res.json()).toEqual({ sha256: sha(b), size: n });
    }
    const over = bytes(LIMIT + 1);
    const res = await put(`/agent/blobs/${sha(over)}`, over);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      code: 'PACKAGE_TOO_LARGE',
      error: `package file is larger than ${LIMIT} bytes (maxPackageBytes)`,
    });
  });

  it('refuse a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const over = bytes(LIMIT + 1);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= over.length) return controller.close();
        controller.enqueue(over.subarray(sent, sent + 100));
        sent += 100;
      },
    });
    const res = await put(`/agent/blobs/${sha(over)}`, stream, hive.token, { duplex: 'half' });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('PACKAGE_TOO_LARGE');
  });
});

describe('package records (PUT /agent/packages/:key) and downloads', () => {
  it('refuse a record before its file, then store it with the uploading hive as builder', async () => {
    const file = bytes(300, 1);
    const early = await put(
      `/agent/packages/${KEY(10)}`,
      JSON.stringify(await record('1.0.0-1', file)),
    );
    expect(early.status).toBe(409);
    expect((await early.json()).code).toBe('MISSING_BLOB');
    expect((await put(`/agent/blobs/${sha(file)}`, file)).status).toBe(201);
    const res = await put(
      `/agent/packages/${KEY(10)}`,
      JSON.stringify(await record('1.0.0-1', file)),
    );
    expect(res.status).toBe(201);
    const got = await fetch(`${fx.url}/agent/packages/${KEY(10)}`, {
      headers: { Authorization: `Bearer ${hive.token}` },
    });
    expect((await got.json()).package).toMatchObject({
      key: KEY(10),
      built_by: hive.id,
      version: '1.0.0-1',
    });
    const blob = await fetch(`${fx.url}/agent/blobs/${sha(file)}`, {
      headers: { Authorization: `Bearer ${hive.token}` },
    });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(file);
  });

  it('answer NO_PACKAGE for a key nobody uploaded, and refuse a record that breaks its schema', async () => {
    const res = await fetch(`${fx.url}/agent/packages/${KEY(99)}`, {
      headers: { Authorization: `Bearer ${hive.token}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: 'NO_PACKAGE',
      error: `no cached package for key ${KEY(99)}`,
    });
    const bad = { ...(await record('1.0.0-1', bytes(1))), files: [] };
    const refused = await put(`/agent/packages/${KEY(11)}`, JSON.stringify(bad));
    expect(refused.status).toBe(400);
    expect((await refused.json()).code).toBe('BAD_REQUEST');
  });

  it('keep the newest keepPackageVersions versions of a worker and drop the files of the rest', async () => {
    const files = [bytes(200, 2), bytes(200, 3), bytes(200, 4)];
    for (const [i, f] of files.entries()) {
      expect((await put(`/agent/blobs/${sha(f)}`, f)).status).toBe(201);
      const res = await put(
        `/agent/packages/${KEY(20 + i)}`,
        JSON.stringify(await record(`2.${i}.0-1`, f, KEY(20 + i))),
      );
      expect(res.status).toBe(201);
    }
    const { packages: listed, workers } = (
      await fx.api('GET', '/api/packages?worker=rbee-hello-worker')
    ).body;
    expect(listed.map((p: { version: string }) => p.version)).toEqual(['2.2.0-1', '2.1.0-1']);
    expect(listed[0]).toMatchObject({ signed_by: builderKey.id, used_by: 0, size: 200 });
    expect(listed[0].signed).toBeUndefined();
    // What the dashboard's catalog page shows: per worker, the platforms with a cached package.
    expect(workers).toEqual([
      {
        worker: 'rbee-hello-worker',
        platforms: [
          {
            os: 'linux',
            arch: 'x86_64',
            accelerators: [],
            worker_type: 'cpu',
            version: '2.2.0-1',
            key: KEY(22),
            size: 200,
            built_by: hive.id,
            built_at: expect.any(Number),
            used_by: 0,
            builds: 2,
          },
        ],
      },
    ]);
    const gone = await fetch(`${fx.url}/agent/blobs/${sha(files[0]!)}`, {
      headers: { Authorization: `Bearer ${hive.token}` },
    });
    expect(gone.status).toBe(404);
  });

  it('lets an admin delete a cached package; its file goes with it', async () => {
    const res = await fx.api('DELETE', `/api/packages/${KEY(22)}`);
    expect(res).toEqual({ status: 200, body: { deleted: KEY(22) } });
    expect((await fx.api('DELETE', `/api/packages/${KEY(22)}`)).status).toBe(404);
    const blob = await fetch(`${fx.url}/agent/blobs/${sha(bytes(200, 4))}`, {
      headers: { Authorization: `Bearer ${hive.token}` },
    });
    expect(blob.status).toBe(404);
    expect((await fx.api('GET', '/api/packages', undefined, null)).status).toBe(401);
  });
});

describe('blobs in chunks of the store (the engine every instance reaches)', () => {
  it('round-trip a file of several chunks byte for byte, and forget it on delete', async () => {
    const store = await openNodeStore(tempDir('blob-kv'));
    try {
      const blobs = new StoreBlobStore(store);
      const big = new Uint8Array(200 * 1024).map((_, i) => (i * 31) & 0xff);
      await blobs.put(sha(big), big);
      expect(await blobs.has(sha(big))).toBe(true);
      expect(await blobs.get(sha(big))).toEqual(big);
      await blobs.delete(sha(big));
      expect(await blobs.has(sha(big))).toBe(false);
      expect(await blobs.get(sha(big))).toBeNull();
    } finally {
      await store.close();
    }
  });
});
