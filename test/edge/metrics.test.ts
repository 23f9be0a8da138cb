import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>> | null = null;
afterEach(async () => {
  await edge?.close();
  edge = null;
});

type Family = {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
  }[];
};

async function scrape(url: string, token: string | null) {
  const res = await fetch(
    `${url}/metrics`,
    token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  );
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const family = (families: Family[], name: string) => {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f;
};

describe('GET /metrics (Prometheus text format)', () => {
  it('parses with parse-prometheus-text-format and counts hives, jobs, logs and refusals', async () => {
    edge = await inProcessEdge();
    const hive = await edge.enrol('metered');
    const agent = new RawAgent(edge.url, hive.token);
    await agent.hello();
    const job = (
      await edge.api('POST', '/api/installs', { hive: 'metered', worker: 'rbee-hello-worker' })
    ).body.job;
    await agent.next('job');
    agent.send({
      type: 'logs',
      job: job.id,
      entries: [
        { s: 0, t: 1, k: 'o', x: 'hello' },
        { s: 1, t: 2, k: 'o', x: 'world' },
      ],
    });
    await agent.next('ack');
    agent.send({ type: 'job_done', job: job.id, outcome: 'succeeded', total: 2 });
    await agent.next('done_ack');
    await expect
      .poll(async () => (await edge!.api('GET', `/api/jobs/${job.id}`)).body.job.state)
      .toBe('succeeded');

    const res = await scrape(edge.url, ADMIN);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(res.text) as Family[];
    expect(family(families, 'rbee_hives_connected').metrics).toEqual([{ value: '1' }]);
    expect(family(families, 'rbee_hives_enrolled').metrics).toEqual([{ value: '1' }]);
    expect(family(families, 'rbee_hive_agent_versions').metrics[0]!.labels).toHaveProperty(
      'version',
    );
    expect(family(families, 'rbee_log_entries_stored_total').metrics).toEqual([{ value: '2' }]);
    expect(
      Number(family(families, 'rbee_log_bytes_stored_total').metrics[0]!.value),
    ).toBeGreaterThan(10);
    expect(family(families, 'rbee_jobs_ended_total').metrics).toEqual([
      { value: '1', labels: { state: 'succeeded', worker: 'rbee-hello-worker' } },
    ]);
    const durations = family(families, 'rbee_job_duration_seconds');
    expect(durations.type).toBe('HISTOGRAM');
    expect(durations.metrics[0]!.buckets!['+Inf']).toBe('1');
    // The parser folds a labelled histogram into one series, so its labels are read off the text.
    expect(res.text).toContain(
      'rbee_job_duration_seconds_count{worker="rbee-hello-worker",outcome="succeeded"} 1\n',
    );
    expect(res.text).toMatch(
      /^rbee_job_duration_seconds_bucket\{worker="rbee-hello-worker",outcome="succeeded",le="\+Inf"\} 1$/m,
    );
    const commits = family(families, 'rbee_store_log_commit_seconds').metrics[0]!;
    expect(commits.count).toBe('1');
    expect(commits.buckets!['+Inf']).toBe('1');
    expect(family(families, 'rbee_ws_connections_opened_total').metrics).toEqual([{ value: '1' }]);
    expect(family(families, 'rbee_ws_messages_received_total').metrics).toContainEqual({
      value: '1',
      labels: { type: 'hello' },
    });
    await agent.close();
  });

  it('open jobs by state, rollouts by state and refusals by code appear as labels', async () => {
    edge = await inProcessEdge();
    await edge.enrol('a');
    await edge.enrol('b');
    await edge.api('POST', '/api/installs', { hives: ['a', 'b'], worker: 'rbee-hello-worker' });
    const families = parsePrometheusTextFormat((await scrape(edge.url, ADMIN)).text) as Family[];
    expect(family(families, 'rbee_jobs_open').metrics).toEqual([
      { value: '2', labels: { state: 'queued', worker: 'rbee-hello-worker' } },
    ]);
    expect(family(families, 'rbee_rollouts').metrics).toEqual([
      { value: '1', labels: { state: 'running' } },
    ]);
    expect(family(families, 'rbee_hives_connected').metrics).toEqual([{ value: '0' }]);
  });

  it('without --metrics-token any API token opens it, a viewer too; nothing else does', async () => {
    edge = await inProcessEdge();
    const viewer = (await edge.api('POST', '/api/tokens', { name: 'prom', role: 'viewer' })).body
      .token;
    expect((await scrape(edge.url, viewer)).status).toBe(200);
    const none = await scrape(edge.url, null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({
      code: 'UNAUTHORIZED',
      error: '/metrics needs Authorization: Bearer <an API token (viewer or up)>',
    });
    expect((await scrape(edge.url, 'rbt_wrong')).status).toBe(401);
  });

  it('with --metrics-token only that token opens it', async () => {
    edge = await inProcessEdge({ metricsToken: 'prometheus-secret' });
    expect((await scrape(edge.url, 'prometheus-secret')).status).toBe(200);
    const admin = await scrape(edge.url, ADMIN);
    expect(admin.status).toBe(401);
    expect(JSON.parse(admin.text).error).toBe(
      '/metrics needs Authorization: Bearer <the --metrics-token>',
    );
  });
});
