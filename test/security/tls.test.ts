import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_TS, repoRoot, startDenoEdge, tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  type EdgeProcess,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/**
 * The edge's own TLS (`--tls-cert/--tls-key`) and the agent's transport rule, with a CA and
 * a server certificate made here by openssl for `localhost`.
 */
let dir: string;
let caFile: string;
let edge: EdgeProcess;
const agents: AgentProcess[] = [];

function openssl(args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(async () => {
  dir = tempDir('tls');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=rbee test CA',
  ]);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'edge.key',
    '-out',
    'edge.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    'edge.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'edge.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  caFile = join(dir, 'ca.pem');
  edge = await startEdgeProcess([
    '--tls-cert',
    join(dir, 'edge.pem'),
    '--tls-key',
    join(dir, 'edge.key'),
  ]);
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await edge?.stop('SIGKILL');
});

/** GET over https trusting only the test CA. */
function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ...(ca ? { ca } : {}), headers: { Authorization: `Bearer ${ADMIN}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function rbeeAgent(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      ...NODE_TS,
      'cli/rbee.ts',
      'agent',
      '--token',
      'rbh_x',
      '--state',
      tempDir('tls-agent'),
      ...args,
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 100_000 },
  );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('TLS on the edge and the agent', () => {
  it('the edge serves https with its certificate; a client without the CA is refused', async () => {
    expect(edge.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = edge.url.replace('127.0.0.1', 'localhost');
    const ok = await httpsGet(`${url}/health`, readFileSync(caFile, 'utf8'));
    expect(ok.status).toBe(200);
    await expect(httpsGet(`${url}/health`)).rejects.toThrow(
      /self[- ]signed|unable to get local issuer|unable to verify/,
    );
  });

  it('an agent given --ca dials wss, downloads over https and installs', async () => {
    const url = edge.url.replace('127.0.0.1', 'localhost');
    // fetch cannot take a CA per request: the API is called with node:https here.
    const hive = await postJson(`${url}/api/hives`, { name: 'tls' });
    agents.push(
      startAgentProcess(url, hive.token, tempDir('tls-agent'), [
        '--ca',
        caFile,
        '--allow-unsigned',
      ]),
    );
    await expect
      .poll(async () => JSON.parse((await httpsGet(`${url}/api/hives/tls`, ca())).body).online, {
        timeout: 30_000,
      })
      .toBe(true);
    const job = await postJson(`${url}/api/installs`, {
      force: true,
      hive: 'tls',
      worker: 'rbee-hello-worker',
    });
    await expect
      .poll(
        async () =>
          JSON.parse((await httpsGet(`${url}/api/jobs/${job.job.id}`, ca())).body).job.state,
        { timeout: 60_000, interval: 250 },
      )
      .toBe('succeeded');
  }, 120_000);

  it('an agent without the CA never gets a session: the certificate is refused', async () => {
    const url = edge.url.replace('127.0.0.1', 'localhost');
    const hive = await postJson(`${url}/api/hives`, { name: 'tls-no-ca' });
    const agent = startAgentProcess(url, hive.token, tempDir('tls-agent'), ['--allow-unsigned']);
    agents.push(agent);
    await expect
      .poll(() => agent.output(), { timeout: 30_000 })
      .toMatch(/self[- ]signed|unable to get local issuer|unable to verify/);
    expect(JSON.parse((await httpsGet(`${url}/api/hives/tls-no-ca`, ca())).body).online).toBe(
      false,
    );
  });

  it('the Deno edge serves https itself too, with the signed statements', async () => {
    const statements = join(dir, 'statements');
    const keyed = spawnSync(
      process.execPath,
      [...NODE_TS, 'cli/rbee.ts', 'keys', 'generate', '--out', join(dir, 'k')],
      { cwd: repoRoot },
    );
    expect(keyed.status).toBe(0);
    const signed = spawnSync(
      process.execPath,
      [
        ...NODE_TS,
        'cli/rbee.ts',
        'catalog',
        'sign',
        '--key',
        join(dir, 'k.key'),
        '--out',
        statements,
        join(repoRoot, 'edge', 'catalog', 'workers'),
      ],
      { cwd: repoRoot },
    );
    expect(signed.status).toBe(0);
    const deno = await startDenoEdge([
      '--tls-cert',
      join(dir, 'edge.pem'),
      '--tls-key',
      join(dir, 'edge.key'),
      '--statements',
      statements,
    ]);
    try {
      expect(deno.url).toMatch(/^https:/);
      const url = deno.url.replace('127.0.0.1', 'localhost');
      const res = await httpsGet(`${url}/workers/rbee-hello-worker/signature`, ca());
      expect(res.status).toBe(200);
      expect(res.body).toBe(
        readFileSync(join(statements, 'rbee-hello-worker', 'statement.json'), 'utf8'),
      );
    } finally {
      await deno.stop('SIGKILL');
    }
  }, 90_000);

  it('a plain http:// edge on a non-loopback name is refused at start (INSECURE_EDGE)', () => {
    const refused = rbeeAgent(['--edge', 'http://edge.example:8787', '--allow-unsigned']);
    // A configuration refusal: exit 78 (EX_CONFIG), the agent's code for "fix the flags".
    expect(refused.code).toBe(78);
    expect(refused.out).toContain('INSECURE_EDGE: edge.example:8787 is not a loopback address');
    const ws = rbeeAgent(['--edge', 'ws://10.1.2.3:8787', '--allow-unsigned']);
    expect(ws.out).toContain('INSECURE_EDGE: 10.1.2.3:8787 is not a loopback address');
  }, 240_000);
});

const ca = () => readFileSync(caFile, 'utf8');

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
function postJson(url: string, body: unknown): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: ca(),
        headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
