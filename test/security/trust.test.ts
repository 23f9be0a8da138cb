import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { seedEntries } from '../../edge/catalog/entries.ts';
import {
  generateKeyPair,
  readPrivateKey,
  type SignedEnvelope,
  type SigningKey,
} from '../../shared/catalog/signature.ts';
import { signStatement, statementDigest } from '../../shared/catalog/statement.ts';
import { parsePkgbuild } from '../../shared/pkgbuild/index.ts';
import { decodeAgentFrame, encodeMessage } from '../../shared/protocol/codec.ts';
import type { JobSpec, LogEntry } from '../../shared/protocol/index.ts';
import { tempDir } from '../support/edge-process.ts';
import { type AgentProcess, startAgentProcess } from '../support/fleet.ts';

/**
 * A hostile edge: a plain `ws` + `http` server written here, speaking the documented protocol,
 * that serves a changed PKGBUILD, a changed file, a foreign key's statement, an expired or
 * another hive's job... to the real agent (`rbee agent --trust-key`). Every one must be refused
 * at `verify`, and the PKGBUILD's build() (which prints a marker and writes a file) never runs.
 */

const WORKER = 'trust-probe';
const HIVE = 'hive_trusted';
const MARKER = 'BUILD-RAN-MARKER';
const probeSh = '#!/bin/sh\necho trust probe\n';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const pkgbuild = `pkgname=${WORKER}
pkgver=1.0.0
pkgrel=1
pkgdesc="probe of the verify step"
arch=('any')
license=('MIT')
source=('probe.sh')
sha256sums=('${sha(probeSh)}')

build() {
  echo "${MARKER}"
  echo built > "$startdir/BUILT"
}

package() {
  install -Dm755 probe.sh "$pkgdir/usr/local/bin/${WORKER}"
}
`;
const entry = {
  ...seedEntries.find((e) => e.id === 'rbee-hello-worker')!,
  id: WORKER,
  implementation: WORKER,
  name: 'Trust probe',
  binary_name: WORKER,
  install_path: `/usr/local/bin/${WORKER}`,
  depends: [],
};

/** What the fake edge serves right now; each test sets it. */
type Served = { pkgbuild: string; files: Record<string, string>; signature: string | null };

type Done = { outcome: string; error?: { message: string; step?: string } };
type Run = { done: Done; lines: string[]; started: string[] };

let fleetKey: SigningKey;
let fleetPub: string;
let stranger: SigningKey;
let served: Served;
let server: Server;
let socket: WebSocket | undefined;
let welcomed: Promise<void>;
let agent: AgentProcess;
let stateDir: string;
const runs = new Map<string, { lines: string[]; started: string[]; done: (d: Done) => void }>();
const accepts: Array<{ job: string; duplicate: boolean }> = [];

async function sign(
  key: SigningKey,
  text = pkgbuild,
  files = { 'probe.sh': probeSh },
  validForMs: number | null = 3_600_000,
  now = Date.now(),
): Promise<SignedEnvelope> {
  return signStatement(
    {
      worker: WORKER,
      version: '1.0.0',
      pkgbuildBytes: new TextEncoder().encode(text),
      parsed: parsePkgbuild(text),
      files: new Map(Object.entries(files).map(([n, t]) => [n, new TextEncoder().encode(t)])),
      now,
      validForMs,
    },
    key,
  );
}

function honest(signature: SignedEnvelope): Served {
  return {
    pkgbuild,
    files: { 'probe.sh': probeSh },
    signature: JSON.stringify(signature),
  };
}

let jobCount = 0;
const jobId = () => `job_trust${String(++jobCount).padStart(4, '0')}abcd`;

/** Sends a job down the socket and resolves with its job_done, its log lines and steps. */
function runJob(patch: Partial<JobSpec> = {}, id = jobId()): Promise<Run> {
  const now = Date.now();
  const job: JobSpec = {
    id,
    kind: 'install',
    worker: WORKER,
    hive: HIVE,
    issued_at: now,
    expires_at: now + 60_000,
    ...patch,
  };
  return new Promise((resolve) => {
    const run = {
      lines: [] as string[],
      started: [] as string[],
      done: (done: Done) => resolve({ done, lines: run.lines, started: run.started }),
    };
    runs.set(id, run);
    socket!.send(encodeMessage({ type: 'job', job }));
  });
}

beforeAll(async () => {
  const pair = await generateKeyPair();
  fleetKey = await readPrivateKey(pair.privatePem);
  stranger = await readPrivateKey((await generateKeyPair()).privatePem);
  const keyDir = tempDir('trust-keys');
  fleetPub = join(keyDir, 'fleet.pub');
  writeFileSync(fleetPub, pair.publicPem);
  served = honest(await sign(fleetKey));

  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const reply = (status: number, body: string, code?: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(code ? JSON.stringify({ error: body, code }) : body);
    };
    if (path === `/workers/${WORKER}`) return reply(200, JSON.stringify(entry));
    if (path === `/workers/${WORKER}/PKGBUILD`) return reply(200, served.pkgbuild);
    if (path === `/workers/${WORKER}/signature`) {
      return served.signature === null
        ? reply(404, 'no statement', 'UNSIGNED')
        : reply(200, served.signature);
    }
    const file = /^\/workers\/trust-probe\/files\/(.+)$/.exec(path)?.[1];
    if (file && served.files[file] !== undefined) return reply(200, served.files[file]!);
    reply(404, `no route ${path}`, 'NOT_FOUND');
  });
  const wss = new WebSocketServer({ server, path: '/agent' });
  let ready: () => void = () => {};
  welcomed = new Promise((r) => (ready = r));
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const message = decodeAgentFrame(data.toString(), 1 << 24);
      if (message.type === 'hello') {
        ws.send(encodeMessage({ type: 'welcome', hive: HIVE, heartbeat_ms: 60_000, jobs: [] }));
        ready();
      } else if (message.type === 'accept') {
        accepts.push({ job: message.job, duplicate: message.duplicate });
      } else if (message.type === 'logs') {
        const run = runs.get(message.job);
        for (const e of JSON.parse(message.batch.text) as LogEntry[]) {
          if (e.k === 'step' && e.phase === 'start') run?.started.push(e.step);
          if (e.k === 'o' || e.k === 'e') run?.lines.push(e.x);
        }
        const next = message.batch.first + message.batch.count;
        ws.send(encodeMessage({ type: 'ack', job: message.job, next_seq: next }));
      } else if (message.type === 'job_done') {
        ws.send(encodeMessage({ type: 'done_ack', job: message.job }));
        runs.get(message.job)?.done({
          outcome: message.outcome,
          ...(message.error ? { error: message.error } : {}),
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stateDir = tempDir('trust-agent');
  agent = startAgentProcess(url, 'rbh_trusttesttoken', stateDir, [
    '--trust-key',
    fleetPub,
    '--deps',
    'skip',
  ]);
  await welcomed;
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await new Promise<void>((r) => server?.close(() => r()));
});

/** A refusal at verify: the rule leads the message, nothing after verify started, no build. */
function expectRefused(run: Run, rule: string, id: string) {
  expect(run.done.outcome).toBe('failed');
  expect(run.done.error?.step).toBe('verify');
  expect(run.done.error?.message).toMatch(new RegExp(`^${rule}: `));
  expect(run.started).toContain('verify');
  expect(run.started).not.toContain('parse');
  expect(run.started).not.toContain('workspace');
  expect(run.started).not.toContain('build');
  expect(run.lines.join('\n')).not.toContain(MARKER);
  expect(existsSync(join(stateDir, 'work', id, 'BUILT'))).toBe(false);
}

describe('a hostile edge cannot make the agent build what the fleet key did not sign', () => {
  test('a PKGBUILD that differs by one byte from the signed one is refused (PKGBUILD_CHANGED)', async () => {
    served = {
      ...honest(await sign(fleetKey)),
      pkgbuild: pkgbuild.replace('pkgrel=1', 'pkgrel=2'),
    };
    const id = jobId();
    expectRefused(await runJob({}, id), 'PKGBUILD_CHANGED', id);
  });

  test('a source file that differs from the signed one is refused (FILE_CHANGED)', async () => {
    served = { ...honest(await sign(fleetKey)), files: { 'probe.sh': `${probeSh}rm -rf /\n` } };
    const id = jobId();
    expectRefused(await runJob({}, id), 'FILE_CHANGED', id);
  });

  test('a statement signed by a key the agent does not trust is refused (UNTRUSTED_KEY)', async () => {
    served = honest(await sign(stranger));
    const id = jobId();
    expectRefused(await runJob({}, id), 'UNTRUSTED_KEY', id);
  });

  test('a statement whose payload was edited after signing is refused (BAD_SIGNATURE)', async () => {
    const good = await sign(fleetKey);
    const evil = pkgbuild.replace('echo built', 'echo owned');
    const forged = {
      ...good,
      payload: good.payload.replace(/"pkgbuild":"[0-9a-f]+"/, `"pkgbuild":"${sha(evil)}"`),
    };
    served = { pkgbuild: evil, files: { 'probe.sh': probeSh }, signature: JSON.stringify(forged) };
    const id = jobId();
    expectRefused(await runJob({}, id), 'BAD_SIGNATURE', id);
  });

  test('a worker the edge serves no statement for is refused without --allow-unsigned (UNSIGNED)', async () => {
    served = { ...honest(await sign(fleetKey)), signature: null };
    const id = jobId();
    expectRefused(await runJob({}, id), 'UNSIGNED', id);
  });

  test('an expired statement is refused (STATEMENT_EXPIRED)', async () => {
    served = honest(await sign(fleetKey, pkgbuild, undefined, 1000, Date.now() - 60_000));
    const id = jobId();
    expectRefused(await runJob({}, id), 'STATEMENT_EXPIRED', id);
  });

  test('an expired job is refused (JOB_EXPIRED)', async () => {
    served = honest(await sign(fleetKey));
    const id = jobId();
    expectRefused(await runJob({ expires_at: Date.now() - 1000 }, id), 'JOB_EXPIRED', id);
  });

  test('a signed job made for another hive is refused (JOB_WRONG_HIVE)', async () => {
    served = honest(await sign(fleetKey));
    const id = jobId();
    expectRefused(await runJob({ hive: 'hive_other' }, id), 'JOB_WRONG_HIVE', id);
  });

  test('a job without hive and expiry is refused (JOB_UNBOUND)', async () => {
    served = honest(await sign(fleetKey));
    const id = jobId();
    const run = await runJob({ hive: undefined, expires_at: undefined }, id);
    expectRefused(run, 'JOB_UNBOUND', id);
  });

  test('a job naming another statement than the one served is refused (STATEMENT_DIGEST)', async () => {
    const old = await sign(fleetKey, pkgbuild, undefined, 3_600_000, Date.now() - 5000);
    served = honest(await sign(fleetKey));
    const id = jobId();
    expectRefused(
      await runJob({ statement: await statementDigest(old) }, id),
      'STATEMENT_DIGEST',
      id,
    );
  });

  test('the signed job builds, and replaying its id runs nothing a second time', async () => {
    const signature = await sign(fleetKey);
    served = honest(signature);
    const id = jobId();
    const run = await runJob({ statement: await statementDigest(signature) }, id);
    expect(run.done).toEqual({ outcome: 'succeeded' });
    expect(run.lines).toContain(MARKER);
    expect(run.started.indexOf('verify')).toBe(run.started.indexOf('fetch') + 1);

    // The same job id again (a replay): acknowledged as a duplicate, never run again.
    socket!.send(
      encodeMessage({
        type: 'job',
        job: { id, kind: 'install', worker: WORKER, hive: HIVE, expires_at: Date.now() + 60_000 },
      }),
    );
    await expect
      .poll(() => accepts.filter((a) => a.job === id).map((a) => a.duplicate))
      .toEqual([false, true]);
  }, 120_000);
});
