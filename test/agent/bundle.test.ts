import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchdPlist } from '../../agent/service/launchd-plist.ts';
import { systemdUnit } from '../../agent/service/systemd-unit.ts';
import { generateKeyPair } from '../../shared/catalog/signature.ts';
import { type EdgeProcess, tempDir } from '../support/edge-process.ts';
import { adminApi, followJob } from '../support/fleet.ts';
import {
  buildBundle,
  type Daemon,
  lonelyCopy,
  runBundle,
  startBundleAgent,
  startBundleEdge,
  stateIn,
} from './bundle-support.ts';

/**
 * The agent as one file: built by scripts/build-agent.mjs, copied alone into an empty folder,
 * run with plain node (and Deno), against a real edge that serves it.
 */
let bundle: string;
let edge: EdgeProcess;
const daemons: Daemon[] = [];
const api = adminApi(() => edge.url);

beforeAll(async () => {
  bundle = buildBundle('0.1.0');
  edge = await startBundleEdge(bundle);
}, 120_000);
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await edge?.stop('SIGKILL');
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Files are compared by sha256: a deep equality of two 1 MiB buffers takes seconds. */
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the bundled agent (dist/rbee-agent.mjs)', () => {
  it('is one file of plain JavaScript that imports only node: builtins', () => {
    const text = readFileSync(bundle, 'utf8');
    expect(text.split('\n').slice(0, 2)).toEqual(['#!/usr/bin/env node', '// rbee-agent 0.1.0']);
    const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
    const required = [...text.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    const outside = [...imports, ...required].filter(
      (name) => !name!.startsWith('node:') && !['bufferutil', 'utf-8-validate'].includes(name!),
    );
    expect(outside.filter((n) => !/^[a-z_]+$/.test(n!) || !isBuiltin(n!))).toEqual([]);
  });

  it('the edge serves it with its version and sha256, and install.sh with its own address', async () => {
    const bytes = readFileSync(bundle);
    expect((await api('GET', '/agent/version')).body).toEqual({
      version: '0.1.0',
      sha256: sha256(bytes),
      size: bytes.length,
      signed_by: null,
    });
    const res = await fetch(`${edge.url}/agent/rbee-agent.mjs`);
    expect(res.headers.get('x-rbee-agent-version')).toBe('0.1.0');
    expect(res.headers.get('x-rbee-agent-sha256')).toBe(sha256(bytes));
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(bytes));
    const script = await (await fetch(`${edge.url}/install.sh`)).text();
    expect(script).toMatch(/^#!\/bin\/sh/);
    expect(script).toContain(`RBEE_EDGE_DEFAULT='${edge.url}'`);
  });

  it('one enrolment token enrols three machines (node, deno, node); the fourth is refused with 77', async () => {
    const { token, id } = (await api('POST', '/api/enrolment-tokens', { max_uses: 3 })).body;
    const hive = lonelyCopy(bundle);
    const enrol = (n: number, runtime: 'node' | 'deno' = 'node') =>
      runBundle(
        hive.file,
        [
          'enrol',
          '--edge',
          edge.url,
          '--state',
          stateIn(hive.dir, `m${n}`),
          '--machine-id',
          `machine-000${n}`,
        ],
        { runtime, env: { RBEE_ENROL_TOKEN: token }, timeoutMs: 90_000 },
      );
    const runs = [await enrol(1), await enrol(2, 'deno'), await enrol(3)];
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(
        /^rbee agent enrolled as new hive \S+ \(hive_[a-z2-7]+\); hive token in /,
      );
      expect(r.status).toBe(0);
    }
    for (const n of [1, 2, 3]) {
      const file = join(hive.dir, `m${n}`, 'hive.token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/^rbh_[a-z2-7]{40}\n$/);
    }
    const fourth = await enrol(4);
    expect(fourth.status).toBe(77);
    expect(fourth.stderr).toBe(
      `rbee-agent: edge refused the enrolment (403 ENROLMENT_TOKEN_USED_UP): enrolment token ${id} allows 3 enrolments (max_uses) and all are used\n`,
    );
    expect((await api('GET', '/api/hives')).body.hives).toHaveLength(3);
  }, 120_000);

  it('an enrolled agent runs from its lonely folder with no secret in argv, installs a worker, and exits 77 when its hive is deleted', async () => {
    const { token } = (await api('POST', '/api/enrolment-tokens', { labels: { pool: 'b' } })).body;
    const hive = lonelyCopy(bundle);
    const state = stateIn(hive.dir, 'state');
    const agent = startBundleAgent(
      hive.file,
      [
        '--edge',
        edge.url,
        '--state',
        state,
        '--install-root',
        join(state, 'root'),
        '--backoff-cap',
        '300',
        '--allow-unsigned',
      ],
      { RBEE_ENROL_TOKEN: token, RBEE_UPGRADE: 'off' },
    );
    daemons.push(agent);
    await expect
      .poll(() => agent.output(), { timeout: 60_000 })
      .toMatch(/connected to .* as hive (hive_\S+)/);
    const hiveId = /as hive (hive_\S+)/.exec(agent.output())![1]!;
    const cmdline = readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toMatch(/rb[he]_/);
    // The build user (uid 65534) tries every way to the token: each one is refused.
    const asBuildUser = (script: string) =>
      spawnSync(
        'setpriv',
        ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'sh', '-c', script],
        {
          encoding: 'utf8',
        },
      );
    const tokenText = readFileSync(join(state, 'hive.token'), 'utf8').trim();
    for (const attack of [
      `cat ${state}/hive.token`,
      `ls ${state}`,
      `cat /proc/${agent.child.pid}/environ`,
    ]) {
      const r = asBuildUser(attack);
      expect(r.status, attack).not.toBe(0);
      expect(r.stderr, attack).toMatch(/Permission denied/);
      expect(r.stdout).not.toContain(tokenText);
    }
    const ps = asBuildUser(`cat /proc/${agent.child.pid}/cmdline | tr '\\0' ' '`);
    expect(ps.status).toBe(0); // cmdline is readable by anyone: it must not hold the token
    // Other processes on this shared machine may show theirs; this agent's tokens are not there.
    expect(ps.stdout.includes(tokenText)).toBe(false);
    expect(ps.stdout.includes(token)).toBe(false);
    const shown = (await api('GET', `/api/hives/${hiveId}`)).body;
    expect(shown).toMatchObject({ online: true, labels: { pool: 'b' }, agent_version: '0.1.0' });

    const job = (
      await api('POST', '/api/installs', { force: true, hive: hiveId, worker: 'rbee-hello-worker' })
    ).body.job;
    await followJob(edge.url, job.id);
    const final = (await api('GET', `/api/jobs/${job.id}`)).body.job;
    expect(final).toMatchObject({ state: 'succeeded', error: null });
    expect(statSync(join(state, 'root', 'usr/local/bin/rbee-hello-worker')).isFile()).toBe(true);

    expect((await api('DELETE', `/api/hives/${hiveId}`)).status).toBe(200);
    expect(await agent.exited).toBe(77);
    expect(agent.output()).toContain(
      "the edge refused this hive's token: edge error REVOKED: this hive was deleted and its token revoked",
    );
  }, 180_000);
});

describe('the bundled agent with a token the edge does not know', () => {
  it('stops dialling and exits 77, saying why', async () => {
    const hive = lonelyCopy(bundle);
    const r = await runBundle(
      hive.file,
      [
        'run',
        '--edge',
        edge.url,
        '--state',
        stateIn(hive.dir, 'state'),
        '--backoff-cap',
        '300',
        '--allow-unsigned',
      ],
      { env: { RBEE_TOKEN: `rbh_${'z'.repeat(40)}`, RBEE_UPGRADE: 'off' }, timeoutMs: 60_000 },
    );
    expect(r.status).toBe(77);
    expect(r.stderr).toBe(
      "rbee agent: the edge refused this hive's token: edge refused the connection (401 UNAUTHORIZED): unknown or revoked hive token; check --token\n",
    );
  }, 90_000);
});

describe('install.sh and the service it writes', () => {
  const installSh = (args: string[], env: NodeJS.ProcessEnv = {}, from = edge.url) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'sh',
        ['-c', 'curl -fsSL "$FROM/install.sh" | sh -s -- "$@"', 'sh', ...args],
        {
          env: { PATH: process.env.PATH, FROM: from, ...env },
        },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (status) => resolve({ status, stderr }));
    });

  it('curl | sh into a prefix leaves the agent, its token (0600), the fleet key, a unit that verifies, and a working agent; a re-run keeps the hive', async () => {
    const { token } = (await api('POST', '/api/enrolment-tokens', { max_uses: 5 })).body;
    const prefix = tempDir('prefix');
    // The one-liner carries the fleet key itself: the base64 line of fleet.pub.
    const fleet = await generateKeyPair();
    const keyLine = fleet.publicPem.split('\n')[1]!;
    const args = [
      '--enrol',
      token,
      '--trust-key',
      keyLine,
      '--prefix',
      prefix,
      '--unit-dir',
      join(prefix, 'units'),
      '--no-start',
      '--machine-id',
      'machine-install-1',
      '--install-root',
      join(prefix, 'root'),
    ];
    const first = await installSh(args);
    expect(first.stderr).toContain(
      `rbee install: agent 0.1.0 (${sha256(readFileSync(bundle))}) in ${prefix}/rbee-agent.mjs`,
    );
    expect(first.status).toBe(0);
    expect(digest(join(prefix, 'rbee-agent.mjs'))).toBe(digest(bundle));
    const tokenFile = join(prefix, 'state', 'hive.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(prefix, 'state')).mode & 0o777).toBe(0o711);
    expect(statSync(join(prefix, 'bin', 'rbee-agent-rollback')).mode & 0o777).toBe(0o755);
    const unitPath = join(prefix, 'units', 'rbee-agent.service');
    const unit = readFileSync(unitPath, 'utf8');
    const keyFile = join(prefix, 'trust', `${fleet.id}.pub`);
    expect(readFileSync(keyFile, 'utf8')).toBe(fleet.publicPem);
    expect(statSync(keyFile).mode & 0o777).toBe(0o644);
    const execStart = `${process.execPath} ${prefix}/rbee-agent.mjs run --edge ${edge.url} --state ${prefix}/state --install-root ${prefix}/root --trust-key ${keyFile}`;
    expect(unit).toContain(`\nExecStart=${execStart}\n`);
    for (const line of [
      'After=network-online.target',
      'Wants=network-online.target',
      'Restart=on-failure',
      'RestartPreventExitStatus=77 78',
      `LoadCredential=hive.token:${tokenFile}`,
      `ExecStopPost=${prefix}/bin/rbee-agent-rollback`,
      'User=root',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).not.toMatch(/rb[he]_/);
    const verify = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);

    // Run it as systemd would: ExecStart's words, the token as a credential.
    const credentials = tempDir('credentials');
    copyFileSync(tokenFile, join(credentials, 'hive.token'));
    const words = execStart.split(' ');
    const agent = startBundleAgent(words[1]!, words.slice(3), {
      CREDENTIALS_DIRECTORY: credentials,
      RBEE_UPGRADE: 'off',
    });
    daemons.push(agent);
    await expect
      .poll(() => agent.output(), { timeout: 60_000 })
      .toMatch(/connected to .* as hive (hive_\S+)/);
    expect(agent.output()).toContain(`rbee agent: trusting fleet key ${fleet.id}`);
    expect(agent.output()).not.toContain('--allow-unsigned');
    const hiveId = /as hive (hive_\S+)/.exec(agent.output())![1]!;
    expect(await agent.stop()).toBe(0);

    const firstToken = readFileSync(tokenFile, 'utf8');
    const again = await installSh(args);
    expect(again.status).toBe(0);
    expect(readFileSync(tokenFile, 'utf8')).not.toBe(firstToken);
    const hives = (await api('GET', '/api/hives')).body.hives.filter(
      (h: { id: string }) => h.id === hiveId,
    );
    expect(hives).toHaveLength(1);
    expect(
      (await api('GET', '/api/enrolment-tokens')).body.tokens.find(
        (t: { uses: number; max_uses: number }) => t.max_uses === 5,
      ).uses,
    ).toBe(1);
  }, 180_000);

  it("a download that does not match the edge's sha256 is refused with 78 and nothing is installed", async () => {
    // A man in the middle: passes everything through, but changes one byte of the agent.
    const proxy = createServer(async (req, res) => {
      const upstream = await fetch(`${edge.url}${req.url}`);
      const body = Buffer.from(await upstream.arrayBuffer());
      if (req.url === '/agent/rbee-agent.mjs') {
        body.writeUInt8(body.readUInt8(body.length - 2) ^ 1, body.length - 2);
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
        'x-rbee-agent-sha256': upstream.headers.get('x-rbee-agent-sha256') ?? '',
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const from = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const prefix = tempDir('prefix-tampered');
    const r = await installSh(
      [
        '--edge',
        from,
        '--enrol',
        `rbe_${'a'.repeat(40)}`,
        '--prefix',
        prefix,
        '--no-start',
        '--unit-dir',
        join(prefix, 'units'),
        '--allow-unsigned',
      ],
      {},
      from,
    );
    proxy.close();
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(
      /rbee install: checksum mismatch: the download has sha256 [0-9a-f]{64}, .* says [0-9a-f]{64}; nothing installed/,
    );
    expect(readdirSync(prefix)).toEqual([]);
  });

  it('install.sh refuses to install an agent with no fleet key, or with one that is not a key (78)', async () => {
    const base = ['--enrol', `rbe_${'a'.repeat(40)}`, '--no-start'];
    const none = tempDir('prefix-no-key');
    const r1 = await installSh([...base, '--prefix', none, '--unit-dir', join(none, 'u')]);
    expect(r1.status).toBe(78);
    expect(r1.stderr).toBe(
      'rbee install: NO_TRUSTED_KEY: give --trust-key (the fleet public key: the enrolment one-liner carries it), or --allow-unsigned to run whatever the edge sends\n',
    );
    expect(readdirSync(none)).toEqual([]);
    const bad = tempDir('prefix-bad-key');
    const r2 = await installSh([...base, '--prefix', bad, '--trust-key', 'MCowBQYDK2VwAyEAshort=']);
    expect(r2.status).toBe(78);
    expect(r2.stderr).toContain(
      'rbee install: --trust-key MCowBQYDK2VwAyEAshort= is neither a fleet public key (the base64 line of fleet.pub: 60 characters starting MCowBQYDK2VwAyEA) nor a readable .pub file',
    );
    expect(readdirSync(bad)).toEqual([]);
    const smuggled = await installSh([...base, '--prefix', bad, '--trust-key', 'x;touch /tmp/y']);
    expect(smuggled.status).toBe(78);
    expect(smuggled.stderr).toContain('only base64 text or a plain path');
  });

  it('the launchd plist runs the same command and restarts only after a failing exit', () => {
    const plist = launchdPlist({
      node: '/usr/local/bin/node',
      bundle: '/opt/rbee/rbee-agent.mjs',
      rollback: '/opt/rbee/bin/rbee-agent-rollback',
      edge: 'https://edge.example/a&b',
      stateDir: '/var/lib/rbee',
      user: 'root',
    });
    expect(plist).toContain('<string>https://edge.example/a&amp;b</string>');
    expect(plist).toMatch(
      /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/,
    );
    const args = [...plist.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]);
    expect(args.slice(1, 8)).toEqual([
      '/usr/local/bin/node',
      '/opt/rbee/rbee-agent.mjs',
      'run',
      '--edge',
      'https://edge.example/a&amp;b',
      '--state',
      '/var/lib/rbee',
    ]);
  });

  it('unit values cannot smuggle a line or a specifier in', () => {
    const spec = {
      node: '/usr/bin/node',
      bundle: '/opt/r bee/rbee-agent.mjs',
      rollback: '/opt/rbee/bin/rbee-agent-rollback',
      edge: 'http://e/%h$HOME',
      stateDir: '/var/lib/rbee',
      user: 'root',
    };
    const unit = systemdUnit(spec);
    expect(unit).toContain(
      'ExecStart=/usr/bin/node "/opt/r bee/rbee-agent.mjs" run --edge http://e/%%h$$HOME --state',
    );
    expect(() => systemdUnit({ ...spec, user: 'root\nExecStartPre=/bin/evil' })).toThrow(
      /cannot hold a newline/,
    );
  });
});

function isBuiltin(name: string): boolean {
  return [
    'fs',
    'path',
    'os',
    'crypto',
    'events',
    'http',
    'https',
    'net',
    'tls',
    'url',
    'zlib',
    'stream',
    'buffer',
    'util',
    'child_process',
  ].includes(name);
}
