import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhook } from '../../shared/client/webhook-signature.ts';
import { webhookReceiver } from '../edge/webhook-receiver.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { bundledCli, runCli } from './admin-cli.ts';

/**
 * Every admin command of the bundled CLI (alone in a folder, plain node) against a real edge;
 * jobs are run by a protocol-level agent, so each outcome (succeeded, cancelled, timed out) and
 * each log byte is the test's choice.
 */
type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
let edge: Edge;
let cli: string;
const env = () => ({ RBEE_EDGE: edge.url, RBEE_ADMIN_TOKEN: ADMIN });
const rbee = (...args: string[]) => runCli(cli, args, env());
const json = async (...args: string[]) => {
  const run = await rbee(...args, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

beforeAll(async () => {
  [cli, edge] = await Promise.all([bundledCli(), inProcessEdge({ webhookPollMs: 50 })]);
}, 120_000);
afterAll(() => edge?.close());

/** A hive whose agent is this test: it takes the next job and ends it as told. */
async function scriptedHive(name: string, installed: { id: string; version: string }[] = []) {
  const hive = await edge.enrol(name);
  const agent = new RawAgent(edge.url, hive.token);
  await agent.hello([], { hostname: name, installed });
  return { hive, agent };
}

async function runJob(
  agent: RawAgent,
  lines: string[],
  outcome: 'succeeded' | 'failed' | 'timed_out',
): Promise<string> {
  const msg = await agent.next<{ type: string; job: { id: string } }>('job');
  const job = msg.job.id;
  const entries = lines.map((x, s) => ({ s, t: 1, k: 'o', x }));
  agent.send({ type: 'logs', job, entries });
  await agent.next('ack');
  agent.send({
    type: 'job_done',
    job,
    outcome,
    total: lines.length,
    ...(outcome === 'succeeded' ? {} : { error: { message: `it ${outcome}` } }),
  });
  await agent.next('done_ack');
  return job;
}

describe('rbee hives', () => {
  it('add, ls --json, show --json, rotate-token (the old token is cut, the new one works), rm', async () => {
    const added = await json('hives', 'add', 'cli-h1', '--label', 'zone=a');
    expect(added).toMatchObject({ name: 'cli-h1', labels: { zone: 'a' } });
    expect(added.token).toMatch(/^rbh_/);
    const listed = (await json('hives')) as { name: string }[];
    expect(listed.map((h) => h.name)).toContain('cli-h1');
    expect(await json('hives', 'show', 'cli-h1')).toMatchObject({ id: added.id, online: false });

    const old = new RawAgent(edge.url, added.token);
    await old.hello();
    const rotate = await rbee('hives', 'rotate-token', 'cli-h1');
    expect(rotate.code).toBe(0);
    const token = rotate.stdout.trim();
    expect(token).toMatch(/^rbh_[a-z2-7]{40}$/);
    expect(token).not.toBe(added.token);
    expect(rotate.stderr).toContain(`hive cli-h1 (${added.id}) has a new token`);
    const cut = await old.closed;
    expect(cut.reason).toContain('REVOKED');
    expect(await new RawAgent(edge.url, added.token).refusedWith()).toBe(401);
    const fresh = new RawAgent(edge.url, token);
    expect((await fresh.hello()).hive).toBe(added.id);
    fresh.close();

    const rm = await rbee('hives', 'rm', 'cli-h1');
    expect(rm).toMatchObject({ code: 0, stdout: `removed ${added.id}\n` });
    expect((await rbee('hives', 'show', 'cli-h1')).code).toBe(4);
  }, 60_000);
});

describe('rbee install, jobs, logs, uninstall: exit status = outcome', () => {
  it('install --hive -f exits 0; jobs ls/show --json; logs keeps SGR colours on a terminal, strips them when piped', async () => {
    const { hive, agent } = await scriptedHive('cli-h2');
    const run = runCli(cli, ['install', 'rbee-hello-worker', '--hive', 'cli-h2', '-f'], env());
    const job = await runJob(
      agent,
      ['\x1b[31mred\x1b[0m plain', 'title \x1b]0;pwned\x07 link \x1b]8;;http://x\x1b\\'],
      'succeeded',
    );
    const done = await run;
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('red plain\ntitle  link \n'); // piped: every escape stripped
    expect(done.stderr).toContain('job succeeded');

    const [jobs, shown] = await Promise.all([
      json('jobs', '--hive', hive.id),
      json('jobs', 'show', job),
    ]);
    expect(jobs[0]).toMatchObject({ id: job, state: 'succeeded' });
    expect(shown).toMatchObject({ id: job, log_entries: 2 });

    // logs.txt (the stored log) shows a title or link escape as visible text, colours stripped.
    expect((await rbee('logs', job)).stdout).toBe(
      'red plain\ntitle \\x1b]0;pwned\\x07 link \\x1b]8;;http://x\\x1b\\\n',
    );
    // On a terminal (script(1) gives the CLI a pty): SGR stays, a title or link is made visible.
    for (const follow of [[], ['-f']]) {
      const tty = await promisify(execFile)(
        'script',
        ['-qec', `${process.execPath} ${cli} logs ${job} ${follow.join(' ')}`, '/dev/null'],
        { env: { ...process.env, ...env(), NO_COLOR: '' }, encoding: 'utf8' },
      );
      expect(tty.stdout).toContain('\x1b[31mred\x1b[0m plain');
      expect(tty.stdout).not.toContain('\x1b]');
      expect(tty.stdout).toContain('\\x1b]0;pwned\\x07');
    }
    agent.close();
  }, 60_000);

  it('a timed-out job exits 8, a cancelled one 7; jobs cancel; uninstall -f', async () => {
    const { agent } = await scriptedHive('cli-h3', [{ id: 'rbee-hello-worker', version: '1.0' }]);
    const timed = runCli(cli, ['install', 'rbee-hello-worker', '--hive', 'cli-h3', '-f'], env());
    await runJob(agent, ['slow'], 'timed_out');
    const t = await timed;
    expect(t.code).toBe(8);
    expect(t.stderr).toContain('job timed_out: it timed_out');

    const un = await json('uninstall', 'rbee-hello-worker', '--hive', 'cli-h3');
    expect(un).toMatchObject({ kind: 'uninstall', worker: 'rbee-hello-worker' });
    await agent.next('job');
    const follow = runCli(cli, ['logs', un.id, '-f'], env());
    const cancelled = await json('jobs', 'cancel', un.id);
    expect(cancelled).toMatchObject({ id: un.id, cancel_requested: true });
    await agent.next('cancel');
    agent.send({ type: 'job_done', job: un.id, outcome: 'cancelled', total: 0 });
    const f = await follow;
    expect(f.code).toBe(7);
    expect(f.stderr).toContain('job cancelled');
    const again = await rbee('jobs', 'cancel', un.id);
    expect(again.code).toBe(5); // 409 JOB_FINISHED
    const missing = await rbee('uninstall', 'rbee-hello-worker', '--hive', 'cli-h2');
    expect(missing.code).toBe(5); // NOT_INSTALLED
    agent.close();
  }, 60_000);
});

describe('rbee rollouts', () => {
  it('install --selector --max-concurrency --max-errors -f prints a progress line; a cancel stops it (exit 7); ls/show --json', async () => {
    await edge.enrol('cli-r1', { ring: 'canary' });
    await edge.enrol('cli-r2', { ring: 'canary' });
    let rollout = '';
    const run = runCli(
      cli,
      [
        'install',
        'rbee-hello-worker',
        '--selector',
        'ring=canary',
        '--max-concurrency',
        '1',
        '--max-errors',
        '1',
        '-f',
      ],
      env(),
    );
    await vi.waitFor(
      async () => {
        const list = (await json('rollouts')) as { id: string; max_concurrency: number }[];
        expect(list[0]?.max_concurrency).toBe(1);
        rollout = list[0]!.id;
      },
      { timeout: 20_000, interval: 100 },
    );
    const shown = await json('rollouts', 'show', rollout);
    expect(shown).toMatchObject({
      max_errors: 1,
      counts: { total: 2, waiting: 1, in_progress: 1 },
    });
    const cancel = await rbee('rollouts', 'cancel', rollout);
    expect(cancel.code).toBe(0);
    const done = await run;
    expect(done.stderr).toContain(`rollout ${rollout}: install rbee-hello-worker on 2 hives\n`);
    expect(done.stderr).toMatch(
      new RegExp(
        `rollout ${rollout} running: 0/2 done \\(0 succeeded, 0 failed, 0 cancelled, 1 in progress, 1 waiting\\)`,
      ),
    );
    expect(done.stderr).toContain(`rollout ${rollout} stopped: 2/2 done`);
    expect(done.code).toBe(7);
  }, 60_000);
});

describe('rbee tokens, webhooks, version', () => {
  it('tokens create/ls/whoami/revoke; a revoked token exits 3', async () => {
    const created = await rbee('tokens', 'create', 'cli-viewer2', '--role', 'viewer');
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const file = join(tempDir('cli-token'), 'token');
    writeFileSync(file, `${token}\n`);
    const who = await runCli(cli, ['tokens', 'whoami', '--token-file', file, '--json'], {
      RBEE_EDGE: edge.url,
    });
    expect(JSON.parse(who.stdout)).toEqual({ name: 'cli-viewer2', role: 'viewer' });
    const listed = (await json('tokens')) as { name: string; role: string }[];
    expect(listed).toContainEqual(expect.objectContaining({ name: 'cli-viewer2', role: 'viewer' }));
    expect((await rbee('tokens', 'revoke', 'cli-viewer2')).stdout).toBe('revoked cli-viewer2\n');
    const audit = (await json('audit', '--action', 'token.revoke')) as { target: string }[];
    expect(audit[0]).toMatchObject({ actor: 'admin', target: 'cli-viewer2', status: 200 });
    const after = await runCli(cli, ['hives', '--token-file', file], { RBEE_EDGE: edge.url });
    expect(after.code).toBe(3);
  }, 60_000);

  it('webhooks add/ls/show/test/deliveries/rm: the ping arrives signed with the printed secret', async () => {
    const receiver = await webhookReceiver();
    try {
      const add = await rbee(
        'webhooks',
        'add',
        receiver.url,
        '--event',
        'job.ended',
        '--event',
        'hive.offline',
      );
      expect(add.code, add.stderr).toBe(0);
      const secret = add.stdout.trim();
      expect(secret).toMatch(/^whsec_/);
      const hooks = (await json('webhooks')) as { id: string; events: string[] }[];
      const hook = hooks.find((h) => h.events.join() === 'job.ended,hive.offline')!;
      const [shown, queued, bad] = await Promise.all([
        json('webhooks', 'show', hook.id),
        rbee('webhooks', 'test', hook.id),
        rbee('webhooks', 'add', 'ftp://x/', '--event', 'job.ended'),
      ]);
      expect(shown).toMatchObject({ url: receiver.url });
      expect(queued.stdout).toMatch(/^queued dlv_\w+ \(ping\)\n$/);
      const got = await receiver.next(0);
      expect(await verifyWebhook(secret, got.body, receiver.header(got))).toBeNull();
      await vi.waitFor(async () => {
        const list = (await edge.api('GET', `/api/webhooks/${hook.id}/deliveries`)).body.deliveries;
        expect(list.map((d: { state: string }) => d.state)).toEqual(['delivered']);
      }, 10_000);
      const listed = (await json('webhooks', 'deliveries', hook.id)) as { state: string }[];
      expect(listed.map((d) => d.state)).toEqual(['delivered']);
      const table = await rbee('webhooks', 'deliveries', hook.id);
      expect(table.stdout).toMatch(
        /^ID +EVENT +STATE +ATTEMPTS +LAST +CREATED\ndlv_\w+ +ping +delivered +1 +200 /,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('webhook url must be http:// or https://');
      expect((await rbee('webhooks', 'rm', hook.id)).stdout).toBe(`removed ${hook.id}\n`);
      expect((await rbee('webhooks', 'show', hook.id)).code).toBe(4);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('version and --version print the version and exit 0', async () => {
    const [a, b] = await Promise.all([rbee('version'), runCli(cli, ['--version'], {})]);
    expect(a.stdout).toMatch(/^rbee \d+\.\d+\.\d+/);
    expect(b.stdout).toBe(a.stdout);
    expect(a.code).toBe(0);
  }, 60_000);
});
