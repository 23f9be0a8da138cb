import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signWebhook, verifyWebhook } from '../../shared/client/webhook-signature.ts';
import { tempDir } from '../support/edge-process.ts';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';
import { webhookReceiver } from './webhook-receiver.ts';

type Edge = Awaited<ReturnType<typeof inProcessEdge>>;
type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;
const SECRET = 'a-webhook-secret-of-the-suite-0123';
const fast = { webhookBackoffMs: 40, webhookBackoffCapMs: 200, webhookPollMs: 50 };

let edge: Edge;
let receiver: Receiver;
/** Webhooks whose deliveries get a 500 on their first attempt. */
const failFirstFor = new Set<string>();
const failedOnce = new Set<string>();

beforeAll(async () => {
  receiver = await webhookReceiver((r) => {
    const delivery = String(r.headers['x-rbee-delivery']);
    const hook = (JSON.parse(r.body) as { data?: { webhook?: string } }).data?.webhook ?? '';
    if (failFirstFor.has(hook) && !failedOnce.has(delivery)) {
      failedOnce.add(delivery);
      return 500;
    }
    return 200;
  });
  edge = await inProcessEdge(fast);
}, 60_000);
afterAll(async () => {
  await edge?.close();
  await receiver?.close();
});

const createHook = async (body: Record<string, unknown>) =>
  edge.api('POST', '/api/webhooks', { url: receiver.url, secret: SECRET, ...body });

const deliveries = async (hook: string) =>
  (await edge.api('GET', `/api/webhooks/${hook}/deliveries`)).body.deliveries as {
    id: string;
    event: string;
    state: string;
    attempts: { status: number; error: string | null }[];
    body: string;
  }[];

describe('webhooks', () => {
  it('a job that ends is POSTed to the webhook, signed with HMAC-SHA256 over timestamp.body', async () => {
    const created = await createHook({ events: ['job.ended'], description: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBe(SECRET);
    expect(created.body.webhook).toMatchObject({ url: receiver.url, events: ['job.ended'] });
    expect(JSON.stringify(created.body.webhook)).not.toContain(SECRET);
    const hook = created.body.webhook.id as string;

    await edge.enrol('hook-hive');
    const from = receiver.received.length;
    const install = await edge.api('POST', '/api/installs', {
      hive: 'hook-hive',
      worker: 'rbee-hello-worker',
    });
    const job = install.body.job.id as string;
    expect((await edge.api('POST', `/api/jobs/${job}/cancel`)).status).toBe(202);

    const got = await receiver.next(from);
    expect(got.headers['x-rbee-event']).toBe('job.ended');
    expect(got.headers['content-type']).toBe('application/json');
    const stamp = Number(got.headers['x-rbee-timestamp']);
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(60);
    expect(got.headers['x-rbee-signature']).toBe(await signWebhook(SECRET, got.body, stamp));
    expect(await verifyWebhook(SECRET, got.body, receiver.header(got))).toBeNull();
    // A forged body, a wrong secret and an old timestamp are each refused by the verifier.
    expect(await verifyWebhook(SECRET, `${got.body} `, receiver.header(got))).toBe('bad signature');
    expect(await verifyWebhook(`${SECRET}x`, got.body, receiver.header(got))).toBe('bad signature');
    expect(await verifyWebhook(SECRET, got.body, receiver.header(got), stamp + 301)).toBe(
      'stale timestamp',
    );
    const payload = JSON.parse(got.body);
    expect(payload).toMatchObject({
      event: 'job.ended',
      id: got.headers['x-rbee-delivery'],
      data: {
        job: { id: job, state: 'cancelled', hive_name: 'hook-hive', worker: 'rbee-hello-worker' },
      },
    });

    await vi.waitFor(async () => {
      const [d] = await deliveries(hook);
      expect(d).toMatchObject({ id: payload.id, event: 'job.ended', state: 'delivered' });
      expect(d!.attempts).toMatchObject([{ status: 200, error: null }]);
    }, 10_000);
    await edge.api('DELETE', `/api/webhooks/${hook}`);
  });

  it('an install the hive already has (already_installed) is told as job.ended, signed, like any ended job', async () => {
    const hook = (await createHook({ events: ['job.ended'] })).body.webhook.id as string;
    const worker = 'rbee-hello-worker';
    const version = (await edge.api('GET', `/api/workers/${worker}/installs`)).body
      .catalog_version as string;
    const hive = await edge.enrol('has-it-hive');
    const agent = new RawAgent(edge.url, hive.token);
    await agent.hello([], { hostname: 'has-it-hive', installed: [{ id: worker, version }] });
    const from = receiver.received.length;
    const install = await edge.api('POST', '/api/installs', { hive: hive.id, worker });
    expect(install.body.job).toMatchObject({ state: 'succeeded', already_installed: true });
    const got = await receiver.next(from);
    expect(got.headers['x-rbee-event']).toBe('job.ended');
    expect(await verifyWebhook(SECRET, got.body, receiver.header(got))).toBeNull();
    expect(JSON.parse(got.body).data.job).toMatchObject({
      id: install.body.job.id,
      state: 'succeeded',
      already_installed: true,
      hive: hive.id,
      hive_name: 'has-it-hive',
      worker,
      duration_ms: 0,
    });
    // A rollout over hives that all have it ends as it is made: each job is told once.
    const rollout = await edge.api('POST', '/api/installs', { hives: [hive.id], worker });
    expect(rollout.body.rollout.state).toBe('succeeded');
    await vi.waitFor(async () => {
      const told = (await deliveries(hook)).map((d) => JSON.parse(d.body).data.job.id);
      expect(told.sort()).toEqual([install.body.job.id, rollout.body.jobs[0].id].sort());
    }, 10_000);
    agent.close();
    await edge.api('DELETE', `/api/webhooks/${hook}`);
  });

  it('a hive coming online and going offline, and a rollout ending, each reach their subscribers', async () => {
    const hook = (await createHook({ events: ['hive.online', 'hive.offline', 'rollout.ended'] }))
      .body.webhook.id as string;
    const jobsOnly = (await createHook({ events: ['job.ended'] })).body.webhook.id as string;
    const hive = await edge.enrol('presence-hive', { zone: 'w' });
    const agent = new RawAgent(edge.url, hive.token);
    await agent.hello();
    await vi.waitFor(async () => {
      expect((await deliveries(hook)).map((d) => d.event)).toEqual(['hive.online']);
    }, 10_000);
    agent.ws.close();
    await agent.closed;
    await vi.waitFor(async () => {
      expect((await deliveries(hook)).map((d) => d.event)).toEqual(['hive.offline', 'hive.online']);
    }, 10_000);
    const offline = JSON.parse((await deliveries(hook))[0]!.body);
    expect(offline.data.hive).toEqual({
      id: hive.id,
      name: 'presence-hive',
      labels: { zone: 'w' },
    });

    // Two offline hives: cancelling the rollout ends it (cancelled jobs), told once.
    await edge.enrol('rollout-a', { fleet: 'hooks' });
    await edge.enrol('rollout-b', { fleet: 'hooks' });
    const made = await edge.api('POST', '/api/installs', {
      selector: { labels: { fleet: 'hooks' } },
      worker: 'rbee-hello-worker',
    });
    const rollout = made.body.rollout.id as string;
    await edge.api('POST', `/api/rollouts/${rollout}/cancel`);
    await vi.waitFor(async () => {
      const ended = (await deliveries(hook)).filter((d) => d.event === 'rollout.ended');
      expect(ended).toHaveLength(1);
      expect(ended[0]!.state).toBe('delivered');
      expect(JSON.parse(ended[0]!.body).data.rollout).toMatchObject({
        id: rollout,
        state: 'stopped',
        counts: { total: 2, cancelled: 2 },
      });
    }, 10_000);
    // The job.ended hook got the two cancelled jobs, and no presence or rollout events.
    await vi.waitFor(async () => {
      const events = (await deliveries(jobsOnly)).map((d) => d.event);
      expect(events).toEqual(['job.ended', 'job.ended']);
    }, 10_000);
    await edge.api('DELETE', `/api/webhooks/${hook}`);
    await edge.api('DELETE', `/api/webhooks/${jobsOnly}`);
  });

  it('a 500 is retried with backoff; the 200 after it delivers, and both attempts are listed', async () => {
    const id = (await createHook({ events: ['job.ended'] })).body.webhook.id as string;
    failFirstFor.add(id); // the receiver answers 500 to the first attempt of this hook's pings
    const res = await edge.api('POST', `/api/webhooks/${id}/test`);
    expect(res.status).toBe(202);
    expect(res.body.delivery).toMatchObject({ event: 'ping', state: 'pending', attempts: [] });
    await vi.waitFor(async () => {
      const [d] = await deliveries(id);
      expect(d?.state).toBe('delivered');
      expect(d!.attempts.map((a) => a.status)).toEqual([500, 200]);
      expect(d!.attempts[0]!.error).toBe('the receiver answered 500');
    }, 10_000);
    const attempts = receiver.received.filter(
      (r) => r.headers['x-rbee-delivery'] === res.body.delivery.id,
    );
    expect(attempts.map((r) => r.status)).toEqual([500, 200]);
    // The retry carries the same delivery id and body, signed afresh.
    expect(attempts[0]!.body).toBe(attempts[1]!.body);
    for (const a of attempts)
      expect(await verifyWebhook(SECRET, a.body, receiver.header(a))).toBeNull();
    await edge.api('DELETE', `/api/webhooks/${id}`);
  });

  it('a receiver that cannot be reached: each attempt says why, then the delivery is failed', async () => {
    const gone = await webhookReceiver();
    const url = gone.url;
    await gone.close(); // nothing listens there now
    const small = await inProcessEdge({ ...fast, webhookAttempts: 3 });
    try {
      const made = await small.api('POST', '/api/webhooks', { url, events: ['hive.offline'] });
      expect(made.body.secret).toMatch(/^whsec_[a-z2-7]{40}$/); // made by the edge when not given
      const id = made.body.webhook.id as string;
      await small.api('POST', `/api/webhooks/${id}/test`);
      await vi.waitFor(async () => {
        const [d] = (await small.api('GET', `/api/webhooks/${id}/deliveries`)).body.deliveries;
        expect(d.state).toBe('failed');
        expect(d.attempts).toHaveLength(3);
        for (const a of d.attempts) {
          expect(a.status).toBe(0);
          expect(a.error).toMatch(/^cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/);
        }
      }, 10_000);
    } finally {
      await small.close();
    }
  });

  it('refuses a url that is not http or https, or carries a password, naming the rule', async () => {
    const cases: [unknown, string][] = [
      ['ftp://example.com/hook', 'webhook url must be http:// or https://, got ftp:'],
      ['javascript:alert(1)', 'webhook url must be http:// or https://, got javascript:'],
      ['file:///etc/passwd', 'webhook url must be http:// or https://, got file:'],
      ['not a url', 'webhook url is not a URL: "not a url"'],
      ['https://user:pw@example.com/', 'webhook url must not carry a user or password'],
      [`https://example.com/${'a'.repeat(2048)}`, 'a webhook url is at most 2048 characters'],
    ];
    for (const [url, message] of cases) {
      const res = await edge.api('POST', '/api/webhooks', { url, events: ['job.ended'] });
      expect(res.status, String(url)).toBe(400);
      expect(res.body.code).toBe('BAD_REQUEST');
      expect(res.body.error).toContain(message);
    }
    const events = await edge.api('POST', '/api/webhooks', {
      url: receiver.url,
      events: ['job.started'],
    });
    expect(events.status).toBe(400);
    expect(events.body.error).toContain('events');
    const short = await edge.api('POST', '/api/webhooks', {
      url: receiver.url,
      events: ['job.ended'],
      secret: 'short',
    });
    expect(short.body.error).toContain('a webhook secret is at least 16 characters');
    expect((await edge.api('GET', '/api/webhooks')).body.webhooks).toEqual([]);
  });

  it('is admin only and audited: an operator gets 403, create and delete are recorded', async () => {
    const operator = (await edge.api('POST', '/api/tokens', { name: 'hook-op', role: 'operator' }))
      .body.token as string;
    const refused = await edge.api(
      'POST',
      '/api/webhooks',
      { url: receiver.url, events: ['job.ended'] },
      operator,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain('needs the admin role');
    const id = (await createHook({ events: ['rollout.ended'] })).body.webhook.id as string;
    expect((await edge.api('DELETE', `/api/webhooks/${id}`)).body).toEqual({ deleted: id });
    expect((await edge.api('DELETE', `/api/webhooks/${id}`)).body.code).toBe('UNKNOWN_WEBHOOK');
    const entries = (await edge.api('GET', '/api/audit?action=webhook.delete')).body.entries;
    expect(entries.slice(0, 2).map((e: { status: number }) => e.status)).toEqual([404, 200]);
    expect(entries[1]).toMatchObject({ actor: 'admin', target: id, status: 200 });
    const created = (await edge.api('GET', '/api/audit?action=webhook.create')).body.entries;
    expect(created.map((e: { status: number }) => e.status)).toContain(403);
  });
});

describe('webhook deliveries are durable', () => {
  it('a delivery pending when the edge stops is delivered by the edge that starts on the same data', async () => {
    let up = false;
    const later = await webhookReceiver(() => (up ? 200 : 503));
    const dataDir = tempDir('webhook-restart');
    const first = await inProcessEdge({ ...fast, webhookBackoffMs: 100 }, dataDir);
    const id = (
      await first.api('POST', '/api/webhooks', {
        url: later.url,
        events: ['job.ended'],
        secret: SECRET,
      })
    ).body.webhook.id as string;
    const ping = (await first.api('POST', `/api/webhooks/${id}/test`)).body.delivery.id as string;
    await later.next(0); // the first attempt got 503
    await first.close();
    up = true;
    const second = await inProcessEdge(fast, dataDir);
    try {
      const got = await vi.waitFor(() => {
        const ok = later.received.find((r) => r.status === 200);
        if (!ok) throw new Error('not delivered yet');
        return ok;
      }, 10_000);
      expect(got.headers['x-rbee-delivery']).toBe(ping);
      expect(await verifyWebhook(SECRET, got.body, later.header(got))).toBeNull();
      await vi.waitFor(async () => {
        const [d] = (await second.api('GET', `/api/webhooks/${id}/deliveries`)).body.deliveries;
        expect(d.state).toBe('delivered');
        expect(d.attempts[0].status).toBe(503);
        expect(d.attempts.at(-1).status).toBe(200);
      }, 10_000);
    } finally {
      await second.close();
      await later.close();
    }
  });
});
