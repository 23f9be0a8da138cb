import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeStore } from '../../edge/node/open-store.ts';
import { generateKeyPair, readPrivateKey } from '../../shared/catalog/signature.ts';
import { signBuildRecord } from '../../shared/repo/build-record.ts';
import type { PackageRecord } from '../../shared/repo/package-record.ts';
import { NODE_TS, repoRoot, tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  type EdgeProcess,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/**
 * Signed build records through real processes: an edge, a builder agent and a consumer agent
 * that trust the fleet key, and `rbee builders sign`. Attacks play a compromised edge (its API,
 * its store and its blob folder) and must fail at the consumer's `verify` step.
 */
let edge: EdgeProcess;
let dataDir: string;
let keyPrefix: string;
const agents: AgentProcess[] = [];
const api = adminApi(() => edge.url);
const WORKER = 'rbee-hello-worker';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** `rbee …` as its own process, without blocking the loop. */
async function rbee(args: string[]) {
  try {
    const r = await promisify(execFile)(process.execPath, [...NODE_TS, 'cli/rbee.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, RBEE_EDGE: edge?.url ?? '', RBEE_ADMIN_TOKEN: ADMIN },
    });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

beforeAll(async () => {
  const dir = tempDir('builder-trust');
  keyPrefix = join(dir, 'fleet');
  expect((await rbee(['keys', 'generate', '--out', keyPrefix])).code).toBe(0);
  const statements = join(dir, 'statements');
  const signed = await rbee([
    'catalog',
    'sign',
    '--key',
    `${keyPrefix}.key`,
    '--out',
    statements,
    join(repoRoot, 'edge', 'catalog', 'workers'),
  ]);
  expect(signed.code).toBe(0);
  dataDir = tempDir('builder-trust-edge');
  edge = await startEdgeProcess(['--statements', statements], dataDir);
}, 120_000);

afterAll(async () => {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

async function hiveWithAgent(name: string) {
  const res = await api('POST', '/api/hives', { name });
  expect(res.status).toBe(201);
  const state = tempDir('builder-trust-agent');
  agents.push(
    startAgentProcess(edge.url, res.body.token, state, ['--trust-key', `${keyPrefix}.pub`]),
  );
  await expect
    .poll(async () => (await api('GET', `/api/hives/${name}`)).body.builder_key_id, {
      timeout: 90_000,
    })
    .toMatch(/^[0-9a-f]{16}$/);
  return { id: res.body.id as string, name, state, root: join(state, 'root') };
}

async function install(hive: string) {
  const created = await api('POST', '/api/installs', { force: true, hive, worker: WORKER });
  expect(created.status).toBe(201);
  const job = created.body.job.id as string;
  const events = await followJob(edge.url, job);
  const steps = events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const final = (await api('GET', `/api/jobs/${job}`)).body.job;
  const log = await (
    await fetch(`${edge.url}/api/jobs/${job}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    })
  ).text();
  return {
    job,
    final,
    log,
    started: steps.filter((s) => s.phase === 'start').map((s) => s.step as string),
  };
}

/** A refusal of a cached package: at verify, naming the rule, and nothing installed. */
function expectRefusedAtVerify(run: Awaited<ReturnType<typeof install>>, rule: string) {
  expect(run.final.state).toBe('failed');
  expect(run.final.error.step).toBe('verify');
  expect(run.final.error.message).toMatch(new RegExp(`^${rule}: `));
  expect(run.started).toContain('download');
  expect(run.started).not.toContain('install');
  expect(run.started).not.toContain('build');
}

describe('cached packages only from builders the fleet key vouches for', () => {
  let builder: Awaited<ReturnType<typeof hiveWithAgent>>;
  let consumer: Awaited<ReturnType<typeof hiveWithAgent>>;
  let honest: PackageRecord;

  it('a builder signs its record; an agent that trusts the fleet key installs it from the cache', async () => {
    [builder, consumer] = await Promise.all([hiveWithAgent('tb'), hiveWithAgent('tc')]);
    const key = readFileSync(join(builder.state, 'builder.key'));
    expect(statSync(join(builder.state, 'builder.key')).mode & 0o777).toBe(0o600);
    expect(key.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const added = await rbee(['builders', 'add', 'tb']);
    expect(added).toMatchObject({ code: 0 });
    const keyId = (await api('GET', '/api/hives/tb')).body.builder_key_id as string;
    const signed = await rbee(['builders', 'sign', '--key', `${keyPrefix}.key`]);
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(
      new RegExp(`^signed 1 builders with key [0-9a-f]{16}: tb ${keyId}\\n`),
    );
    expect((await api('GET', '/api/builders')).body).toMatchObject({
      builders: [{ name: 'tb', key_id: keyId, signed: true }],
      current: true,
    });

    const built = await install('tb');
    expect(built.final).toMatchObject({ state: 'succeeded', error: null });
    expect(built.started).toEqual(expect.arrayContaining(['build', 'archive', 'upload']));
    expect(built.log).toContain(`record signed with key ${keyId}`);
    [honest] = (await api('GET', '/api/packages')).body.packages;
    expect(honest).toMatchObject({ built_by: builder.id, job: built.job });

    const cached = await install('tc');
    expect(cached.final).toMatchObject({ state: 'succeeded', error: null });
    expect(cached.started).toContain('download');
    expect(cached.started).not.toContain('build');
    expect(cached.log).toMatch(
      new RegExp(
        `build record signed by builder tb \\(${builder.id}, key ${keyId}\\), in the builder set signed by fleet key [0-9a-f]{16}`,
      ),
    );
    expect(cached.log).toContain(
      `installed from cache: built on hive ${builder.id} by job ${built.job}`,
    );
    expect(readFileSync(join(consumer.root, 'usr/local/bin/rbee-hello-worker'))).toEqual(
      readFileSync(join(builder.root, 'usr/local/bin/rbee-hello-worker')),
    );
  }, 400_000);

  it('a package and record the edge made itself (record changed, signature kept) is refused at verify', async () => {
    // The edge's own store and blob folder, changed behind the builder's back.
    const blob = readFileSync(join(dataDir, 'packages', honest.files[0]!.sha256));
    const forged = new Uint8Array(blob);
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
    writeFileSync(join(dataDir, 'packages', sha(forged)), forged);
    const store = await openNodeStore(dataDir);
    try {
      const stored = (await store.getPackage(honest.key))!;
      const payload = JSON.parse(stored.signed.payload);
      payload.files[0].sha256 = sha(forged);
      const files = stored.files.map((f) => ({ ...f, sha256: sha(forged), md5: md5(forged) }));
      await store.putPackage({
        ...stored,
        files,
        signed: { ...stored.signed, payload: JSON.stringify(payload) },
      });
    } finally {
      await store.close();
    }
    const run = await install('tc');
    expectRefusedAtVerify(run, 'BAD_RECORD_SIGNATURE');
    expect(run.final.error.message).toContain('does not match the statement');
  }, 120_000);

  it('a builder the admins never signed (marked through the edge, with its own key) is refused at verify', async () => {
    // What a compromised edge can do on its own: mark a hive builder, register a key, upload.
    const rogue = await api('POST', '/api/hives', { name: 'rogue' });
    const early = await fetch(`${edge.url}/agent/blobs/${honest.files[0]!.sha256}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${rogue.body.token}` },
      body: new Uint8Array(readFileSync(join(dataDir, 'packages', honest.files[0]!.sha256))),
    });
    expect(early.status).toBe(403);
    expect(((await early.json()) as { code: string }).code).toBe('NOT_A_BUILDER');
    await api('POST', '/api/hives/rogue/builder', { builder: true });
    const pair = await generateKeyPair();
    const rogueKey = await readPrivateKey(pair.privatePem);
    const as = (method: string, path: string, body: BodyInit) =>
      fetch(`${edge.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${rogue.body.token}` },
        body,
      });
    expect(
      (await as('PUT', '/agent/builder-key', JSON.stringify({ public_key: pair.publicPem })))
        .status,
    ).toBe(200);
    const bytes = new Uint8Array(readFileSync(join(dataDir, 'packages', honest.files[0]!.sha256)));
    bytes[0] = bytes[0]! ^ 0x01;
    expect((await as('PUT', `/agent/blobs/${sha(bytes)}`, bytes)).status).toBe(201);
    expect((await api('DELETE', `/api/packages/${honest.key}`)).status).toBe(200);
    const files = honest.files.map((f) => ({
      ...f,
      sha256: sha(bytes),
      md5: md5(bytes),
      size: bytes.length,
      // GET /api/packages leaves .PKGINFO out; the rogue writes its own.
      pkginfo: `pkgname = ${WORKER}\n`,
    }));
    const signed = await signBuildRecord(
      {
        key: honest.key,
        worker: WORKER,
        version: honest.version,
        hive: rogue.body.id,
        job: 'job_rogue',
        built_at: Date.now(),
        files: files.map(({ pkgname, filename, arch, sha256, size }) => ({
          pkgname,
          filename,
          arch,
          sha256,
          size,
        })),
      },
      rogueKey,
    );
    const upload = await as(
      'PUT',
      `/agent/packages/${honest.key}`,
      JSON.stringify({
        worker: WORKER,
        version: honest.version,
        facts: honest.facts,
        job: 'job_rogue',
        files,
        signed,
      }),
    );
    expect(upload.status, await upload.clone().text()).toBe(201);
    const run = await install('tc');
    expectRefusedAtVerify(run, 'UNKNOWN_BUILDER');
    expect(run.final.error.message).toContain(
      `signed by key ${rogueKey.id}, which is not in the builder set`,
    );
    // What the consumer installed honestly is untouched.
    expect(readFileSync(join(consumer.root, 'usr/local/bin/rbee-hello-worker'))).toEqual(
      readFileSync(join(builder.root, 'usr/local/bin/rbee-hello-worker')),
    );
  }, 120_000);
});
