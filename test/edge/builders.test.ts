import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  type KeyPair,
  readPrivateKey,
  readPublicKey,
  type SignedEnvelope,
  type SigningKey,
} from '../../shared/catalog/signature.ts';
import {
  BuildRecordError,
  signBuilderSet,
  signBuildRecord,
  verifyBuild,
} from '../../shared/repo/build-record.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const KEY = 'ab'.repeat(32);
const FILE = new Uint8Array(100).fill(9);

let fx: Awaited<ReturnType<typeof inProcessEdge>>;
let builder: { id: string; token: string };
let other: { id: string; token: string };
let builderPair: KeyPair;
let builderKey: SigningKey;
let fleet: SigningKey;
let fleetPair: KeyPair;

const agent = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${fx.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined
      ? {}
      : {
          body:
            body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
        }),
  });

const files = [
  {
    pkgname: 'rbee-hello-worker',
    filename: 'rbee-hello-worker-1.0.0-1-x86_64.pkg.tar.zst',
    arch: 'x86_64',
    sha256: sha(FILE),
    size: FILE.length,
  },
];

async function upload(signer: SigningKey, patch: Record<string, unknown> = {}) {
  const signed = await signBuildRecord(
    {
      key: KEY,
      worker: 'rbee-hello-worker',
      version: '1.0.0-1',
      hive: builder.id,
      job: 'job_b1',
      built_at: 1,
      files,
      ...patch,
    },
    signer,
  );
  return {
    worker: 'rbee-hello-worker',
    version: '1.0.0-1',
    job: 'job_b1',
    facts: {
      os: 'linux',
      arch: 'x86_64',
      accelerators: [],
      worker_type: 'cpu',
      pkgver: '1.0.0',
      pkgrel: '1',
      epoch: '',
      pkgbuild_sha256: KEY,
    },
    files: files.map((f) => ({ ...f, md5: md5(FILE), pkginfo: 'pkgname = rbee-hello-worker\n' })),
    signed,
  };
}

beforeAll(async () => {
  fx = await inProcessEdge();
  builder = await fx.enrol('b1');
  other = await fx.enrol('n1');
  builderPair = await generateKeyPair();
  builderKey = await readPrivateKey(builderPair.privatePem);
  fleetPair = await generateKeyPair();
  fleet = await readPrivateKey(fleetPair.privatePem);
}, 30_000);
afterAll(() => fx.close());

describe('builder hives (POST /api/hives/:id/builder, PUT /agent/builder-key)', () => {
  it('refuse every upload of a hive that is not a builder, naming the rule', async () => {
    for (const [path, body] of [
      [`/agent/blobs/${sha(FILE)}`, FILE],
      [`/agent/packages/${KEY}`, await upload(builderKey)],
    ] as const) {
      const res = await agent('PUT', path, other.token, body);
      expect(res.status, path).toBe(403);
      expect(await res.json()).toEqual({
        code: 'NOT_A_BUILDER',
        error: `hive n1 (${other.id}) is not a builder: only hives an admin marked as builders (POST /api/hives/:id/builder) may upload to the package cache`,
      });
    }
  });

  it('need the admin role to mark a builder, and record it in the audit log', async () => {
    const made = await fx.api('POST', '/api/tokens', { name: 'ops', role: 'operator' });
    const refused = await fx.api(
      'POST',
      `/api/hives/${builder.id}/builder`,
      { builder: true },
      made.body.token,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    const bad = await fx.api('POST', `/api/hives/${builder.id}/builder`, { builder: 'yes' });
    expect(bad.status).toBe(400);
    const res = await fx.api('POST', '/api/hives/b1/builder', { builder: true });
    expect(res).toEqual({
      status: 200,
      body: { id: builder.id, name: 'b1', builder: true, builder_key_id: null },
    });
    const audit = (await fx.api('GET', '/api/audit?action=hive.builder')).body.entries;
    expect(audit.map((e: { status: number; actor: string }) => [e.actor, e.status])).toEqual([
      ['admin', 200],
      ['admin', 400],
      ['ops', 403],
    ]);
    expect((await fx.api('GET', '/api/hives/b1')).body).toMatchObject({ builder: true });
  });

  it('take the key a builder registers, and refuse another key while it stays a builder', async () => {
    const res = await agent('PUT', '/agent/builder-key', builder.token, {
      public_key: builderPair.publicPem,
    });
    expect(await res.json()).toEqual({ hive: builder.id, builder: true, key_id: builderKey.id });
    const stranger = await generateKeyPair();
    const changed = await agent('PUT', '/agent/builder-key', builder.token, {
      public_key: stranger.publicPem,
    });
    expect(changed.status).toBe(409);
    expect((await changed.json()).code).toBe('BUILDER_KEY_CHANGED');
    const garbage = await agent('PUT', '/agent/builder-key', builder.token, {
      public_key: 'not a key',
    });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).code).toBe('BAD_KEY');
    const listed = (await fx.api('GET', '/api/builders')).body;
    expect(listed).toMatchObject({
      builders: [{ hive: builder.id, name: 'b1', key_id: builderKey.id, signed: false }],
      signed: null,
      current: false,
    });
  });

  it('refuse a builder record signed by another key, or one that differs from the upload', async () => {
    expect((await agent('PUT', `/agent/blobs/${sha(FILE)}`, builder.token, FILE)).status).toBe(201);
    const stranger = await readPrivateKey((await generateKeyPair()).privatePem);
    const forged = await agent('PUT', `/agent/packages/${KEY}`, builder.token, {
      ...(await upload(stranger)),
    });
    expect(forged.status).toBe(400);
    expect((await forged.json()).error).toBe(
      `BAD_RECORD_SIGNATURE: the record is signed by key ${stranger.id}; hive b1's builder key is ${builderKey.id}`,
    );
    const lying = await agent(
      'PUT',
      `/agent/packages/${KEY}`,
      builder.token,
      await upload(builderKey, { hive: other.id }),
    );
    expect(lying.status).toBe(400);
    expect((await lying.json()).error).toMatch(
      new RegExp(`^RECORD_MISMATCH: the signed record it names hive ${other.id}`),
    );
    const good = await agent(
      'PUT',
      `/agent/packages/${KEY}`,
      builder.token,
      await upload(builderKey),
    );
    expect(good.status).toBe(201);
  });

  it('store the builder set the admins signed and serve it to agents', async () => {
    const none = await agent('GET', '/agent/builders', other.token);
    expect(none.status).toBe(404);
    expect((await none.json()).code).toBe('NO_BUILDER_SET');
    const { builders } = (await fx.api('GET', '/api/builders')).body;
    const set = await signBuilderSet(
      builders.map((b: Record<string, string>) => ({
        hive: b.hive,
        name: b.name,
        key_id: b.key_id,
        public_key: b.public_key,
      })),
      fleet,
      1000,
    );
    const bad = await fx.api('POST', '/api/builders/signed', { ...set, payload: '{"x":1}' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_BUILDER_SET');
    const stored = await fx.api('POST', '/api/builders/signed', set);
    expect(stored).toEqual({
      status: 201,
      body: { key_id: fleet.id, signed_at: 1000, builders: 1 },
    });
    expect((await fx.api('GET', '/api/builders')).body).toMatchObject({
      builders: [{ name: 'b1', signed: true }],
      current: true,
    });
    const served = (await (
      await agent('GET', '/agent/builders', other.token)
    ).json()) as SignedEnvelope;
    expect(served).toEqual(set);

    // What the agent then checks (agent/package/check-build-record.ts), on the edge's answers.
    const record = (await (await agent('GET', `/agent/packages/${KEY}`, other.token)).json())
      .package;
    const trusted = [await readPublicKey(fleetPair.publicPem)];
    const ok = await verifyBuild({
      record: record.signed,
      builders: served,
      trusted,
      key: KEY,
      worker: 'rbee-hello-worker',
    });
    expect(ok.record).toMatchObject({ hive: builder.id, job: 'job_b1' });
    await expect(
      verifyBuild({
        record: record.signed,
        builders: served,
        trusted,
        key: 'cd'.repeat(32),
        worker: 'rbee-hello-worker',
      }),
    ).rejects.toThrow(/^RECORD_MISMATCH: /);
    const untrusted = [await readPublicKey((await generateKeyPair()).publicPem)];
    const refused = await verifyBuild({
      record: record.signed,
      builders: served,
      trusted: untrusted,
      key: KEY,
      worker: 'rbee-hello-worker',
    }).catch((e) => e);
    expect(refused).toBeInstanceOf(BuildRecordError);
    expect(refused.rule).toBe('BAD_BUILDER_SET');

    // Marking another builder makes the signed set out of date until the admins sign again.
    await fx.api('POST', '/api/hives/n1/builder', { builder: true });
    await agent('PUT', '/agent/builder-key', other.token, {
      public_key: (await generateKeyPair()).publicPem,
    });
    expect((await fx.api('GET', '/api/builders')).body.current).toBe(false);
  });
});
