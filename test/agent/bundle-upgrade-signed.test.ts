import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentRelease } from '../../shared/catalog/agent-release.ts';
import { generateKeyPair, readPrivateKey, readPublicKey } from '../../shared/catalog/signature.ts';
import { type EdgeProcess, repoRoot, tempDir } from '../support/edge-process.ts';
import { adminApi } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { buildBundle, startBundleEdge, stateIn } from './bundle-support.ts';
import { type Supervisor, supervise } from './bundle-upgrade-supervisor.ts';

/**
 * Agent files signed with the fleet key, as attacks that fail, with a real edge and real
 * bundled agents (0.1.0 → 0.1.1) under a supervisor that restarts them like the unit. Hive A
 * trusts the fleet key only; hive B also has --allow-agent-upgrades. In front of the edge
 * stands a proxy the test can turn hostile: it then answers the agent download with a
 * modified 0.1.1 under the honest headers, as a compromised edge would (the honest signature
 * and sha256 still go out in the job). Every refusal leaves the agent's file as it was
 * (compared by sha256) and the old agent running.
 */
let edge: EdgeProcess;
let front: HostileFront;
let v1: string;
let v2: string;
const dir = tempDir('signed-upgrade');
const edgeBundle = join(dir, 'edge', 'rbee-agent.mjs');
const marker = join(dir, 'the-modified-agent-ran');
const api = adminApi(() => edge.url);
const supervisors: Supervisor[] = [];
let fleetKey: Awaited<ReturnType<typeof generateKeyPair>>;

/** Files are compared by sha256: a deep equality of two 1 MiB buffers takes seconds. */
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

type HostileFront = { url: string; hostile: Buffer | null; close(): void };

/** An HTTP and WebSocket proxy to the edge; with `hostile` set it serves those bytes as the agent. */
async function hostileFront(target: URL, honest: { version: string; sha256: string }) {
  const sockets = new Set<Socket>();
  const state: HostileFront = { url: '', hostile: null, close: () => {} };
  const server: Server = createServer((req, res) => {
    if (state.hostile && req.url === '/agent/rbee-agent.mjs') {
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'X-Rbee-Agent-Version': honest.version,
        'X-Rbee-Agent-Sha256': honest.sha256,
      });
      res.end(state.hostile);
      return;
    }
    const up = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('upgrade', (req, client: Socket, head: Buffer) => {
    const up = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      client.pipe(up);
      up.pipe(client);
    });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        up.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    server.close();
  };
  return state;
}

beforeAll(async () => {
  v1 = buildBundle('0.1.0');
  v2 = buildBundle('0.1.1');
  stateIn(dir, 'edge');
  copyFileSync(v2, edgeBundle);
  edge = await startBundleEdge(edgeBundle);
  front = await hostileFront(new URL(edge.url), { version: '0.1.1', sha256: digest(v2) });
  fleetKey = await generateKeyPair();
  writeFileSync(join(dir, 'fleet.key'), fleetKey.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'fleet.pub'), fleetKey.publicPem);
}, 180_000);
afterAll(async () => {
  for (const s of supervisors) await s.stop();
  front?.close();
  await edge?.stop('SIGKILL');
});

/** A hive running bundle 0.1.0 through the front, trusting the fleet key (and `extra`). */
async function startHive(name: string, extra: string[]) {
  const prefix = stateIn(dir, name);
  const bundle = join(prefix, 'rbee-agent.mjs');
  copyFileSync(v1, bundle);
  const state = stateIn(prefix, 'state');
  const hive = (await api('POST', '/api/hives', { name })).body;
  writeFileSync(join(state, 'hive.token'), `${hive.token}\n`, { mode: 0o600 });
  const args = ['--edge', front.url, '--state', state, '--install-root', join(state, 'root')];
  const supervisor = supervise(
    bundle,
    null,
    [...args, '--backoff-cap', '300', '--trust-key', join(dir, 'fleet.pub'), ...extra],
    {},
  );
  supervisors.push(supervisor);
  await expect
    .poll(async () => (await api('GET', `/api/hives/${hive.id}`)).body.online, { timeout: 60_000 })
    .toBe(true);
  return { id: hive.id as string, bundle, supervisor };
}

/** Starts an upgrade rollout of these hives and waits for it to end; returns its jobs by hive. */
async function upgradeRollout(hives: string[]) {
  const started = await api('POST', '/api/agents/upgrade', { hives });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const id = started.body.rollout.id as string;
  await expect
    .poll(async () => (await api('GET', `/api/rollouts/${id}`)).body.rollout.ended_at, {
      timeout: 120_000,
    })
    .not.toBeNull();
  const jobs: Record<string, { id: string; state: string; error: Record<string, string> }> = {};
  for (const j of started.body.jobs)
    jobs[j.hive] = (await api('GET', `/api/jobs/${j.id}`)).body.job;
  return { agent: started.body.agent, jobs };
}

const logOf = async (job: string) =>
  (
    await fetch(`${edge.url}/api/jobs/${job}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    })
  ).text();

describe('agent upgrades signed by the fleet key', () => {
  it('refuses unsigned, foreign-signed and modified agent files; takes the honest signed one', async () => {
    const a = await startHive('trusts-key', []);
    const b = await startHive('allows-unsigned', ['--allow-agent-upgrades']);
    // Both can replace themselves now: a trusting agent takes a file the fleet key signed.
    for (const h of [a, b])
      expect((await api('GET', `/api/hives/${h.id}`)).body).toMatchObject({
        agent_version: '0.1.0',
        agent_upgradable: true,
        agent_outdated: true,
      });
    expect(b.supervisor.output()).toContain(
      'WARNING --allow-agent-upgrades: upgrade jobs may replace this agent with a file no fleet key signed',
    );
    const v1sum = digest(v1);

    // 1. Nothing signed yet: A refuses at verify; B (--allow-agent-upgrades) takes it, saying so.
    const unsigned = await upgradeRollout([a.id, b.id]);
    expect(unsigned.agent).toEqual({ version: '0.1.1', sha256: digest(v2), signed_by: null });
    expect(unsigned.jobs[a.id]).toMatchObject({ state: 'failed' });
    expect(unsigned.jobs[a.id]!.error).toEqual({
      step: 'verify',
      message: `UNSIGNED_AGENT: agent 0.1.1 (sha256 ${digest(v2)}) is not signed by a fleet key: admins sign it with rbee agents sign --key FLEET.key`,
    });
    expect(unsigned.jobs[b.id]).toMatchObject({ state: 'succeeded' });
    expect(await logOf(unsigned.jobs[b.id]!.id)).toContain(
      "UNVERIFIED: agent 0.1.1 is taken on the edge's word (not signed by a fleet key; --allow-agent-upgrades)",
    );
    expect(digest(b.bundle)).toBe(digest(v2));
    expect(digest(a.bundle)).toBe(v1sum);
    await b.supervisor.stop();

    // 2. Signed by a key the agent does not trust (the edge, or anyone with an admin token,
    // can store any signature): refused, naming the rule and both keys.
    const stranger = await readPrivateKey((await generateKeyPair()).privatePem);
    const forged = await signAgentRelease(
      { version: '0.1.1', sha256: digest(v2), size: readFileSync(v2).length },
      stranger,
      Date.now(),
    );
    expect((await api('POST', '/api/agents/signed', forged)).status).toBe(201);
    const foreign = await upgradeRollout([a.id]);
    expect(foreign.agent.signed_by).toBe(stranger.id);
    const trusted = await readPublicKey(fleetKey.publicPem);
    expect(foreign.jobs[a.id]).toMatchObject({ state: 'failed' });
    expect(foreign.jobs[a.id]!.error).toEqual({
      step: 'verify',
      message: `BAD_AGENT_SIGNATURE: the agent file's signature: UNTRUSTED_KEY: signed by key ${stranger.id}, which is not a trusted key (trusted: ${trusted.id})`,
    });
    expect(digest(a.bundle)).toBe(v1sum);

    // 3. The admins sign 0.1.1 with the fleet key (rbee agents sign); the edge turns hostile and
    // serves a modified 0.1.1 under the honest headers, the honest signature in the job.
    const signed = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cli/rbee.ts', 'agents', 'sign', '--key', join(dir, 'fleet.key'), v2],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, RBEE_EDGE: edge.url, RBEE_ADMIN_TOKEN: ADMIN },
      },
    );
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(`signed agent 0.1.1 (sha256 ${digest(v2)}`);
    const modified = Buffer.concat([
      readFileSync(v2),
      Buffer.from(
        `\nimport('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'ran'));\n`,
      ),
    ]);
    front.hostile = modified;
    const evil = await upgradeRollout([a.id]);
    expect(evil.agent.signed_by).toBe(trusted.id);
    expect(evil.jobs[a.id]).toMatchObject({ state: 'failed' });
    expect(evil.jobs[a.id]!.error.step).toBe('download');
    expect(evil.jobs[a.id]!.error.message).toMatch(
      new RegExp(
        `^AGENT_FILE_CHANGED: http://127\\.0\\.0\\.1:\\d+/agent/rbee-agent\\.mjs has sha256 ${createHash('sha256').update(modified).digest('hex')}, but the upgrade job names ${digest(v2)} \\(signed by fleet key ${trusted.id}\\): not installed$`,
      ),
    );
    const evilLog = await logOf(evil.jobs[a.id]!.id);
    expect(evilLog).toContain(`signed by fleet key ${trusted.id}`); // verify passed, the bytes did not
    expect(evilLog).not.toContain('self-check');
    // The agent is as it was: its file, no half-written next file, the same process, never run.
    expect(digest(a.bundle)).toBe(v1sum);
    expect(existsSync(a.bundle.replace(/\.mjs$/, '.next.mjs'))).toBe(false);
    expect(existsSync(marker)).toBe(false);
    expect(a.supervisor.exits).toEqual([]);
    expect((await api('GET', `/api/hives/${a.id}`)).body).toMatchObject({
      online: true,
      agent_version: '0.1.0',
    });

    // 4. The edge honest again: the signed file is verified, downloaded, checked and swapped in.
    front.hostile = null;
    const honest = await upgradeRollout([a.id]);
    expect(honest.jobs[a.id]).toMatchObject({ state: 'succeeded', error: null });
    expect(await logOf(honest.jobs[a.id]!.id)).toContain(
      `agent 0.1.1 (sha256 ${digest(v2)}) signed by fleet key ${trusted.id}`,
    );
    expect(digest(a.bundle)).toBe(digest(v2));
    expect(a.supervisor.exits).toEqual([75]);
    expect(existsSync(marker)).toBe(false);
    await expect
      .poll(async () => (await api('GET', `/api/hives/${a.id}`)).body.agent_version, {
        timeout: 30_000,
      })
      .toBe('0.1.1');
  }, 400_000);
});
