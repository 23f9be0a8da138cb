import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hive } from '../../edge/dashboard/client/types.ts';
import { fitText, whyNot } from '../../edge/dashboard/client/worker-fit.ts';
import {
  type HivePlatform,
  type Incompatibility,
  incompatibilities,
} from '../../shared/catalog/compatibility.ts';
import type { CatalogEntry } from '../../shared/catalog/schema.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';
import { RawAgent } from '../support/raw-agent.ts';

/** Every reason code; a code added to Incompatibility fails the type check here until covered. */
const CODES = {
  NO_PLATFORM: true,
  OS: true,
  ARCH: true,
  NO_CUDA: true,
  NO_METAL: true,
} satisfies Record<Incompatibility['code'], true>;

/** Hives whose platforms, against the seeded catalog, give every reason code (and none). */
const PLATFORMS: Record<string, HivePlatform & { hostname: string }> = {
  'linux-cpu': { os: 'linux', arch: 'x86_64', accelerators: [], hostname: 'a' },
  'linux-arm': { os: 'linux', arch: 'aarch64', accelerators: [], hostname: 'b' },
  'windows-gpu': {
    os: 'windows',
    arch: 'x86_64',
    accelerators: [{ kind: 'cuda', name: 'A100', driver: '550.54' }],
    hostname: 'c',
  },
  'gpu-no-driver': {
    os: 'linux',
    arch: 'x86_64',
    accelerators: [{ kind: 'cuda', name: 'A100' }],
    hostname: 'd',
  },
  'mac-metal': {
    os: 'macos',
    arch: 'aarch64',
    accelerators: [{ kind: 'metal', name: 'M2' }],
    hostname: 'e',
  },
  'mac-intel': { os: 'macos', arch: 'x86_64', accelerators: [], hostname: 'f' },
};

let edge: Awaited<ReturnType<typeof inProcessEdge>>;
const agents: RawAgent[] = [];

beforeAll(async () => {
  edge = await inProcessEdge();
  await edge.enrol('never-connected');
  for (const [name, platform] of Object.entries(PLATFORMS)) {
    const { token } = await edge.enrol(name);
    const agent = new RawAgent(edge.url, token);
    agents.push(agent);
    await agent.opened;
    agent.send({
      type: 'hello',
      agent_version: 'test',
      protocol: 1,
      platform,
      installed: [],
      jobs: [],
    });
    await agent.next('welcome');
  }
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await Promise.all(agents.map((a) => a.closed));
  await edge?.close();
});

describe("the dashboard's answer to which hive can run a worker", () => {
  it('is, for every hive, entry and reason code, the edge check and the shared incompatibilities()', async () => {
    const workers = (await edge.api('GET', '/workers')).body.workers as CatalogEntry[];
    const hives = (await edge.api('GET', '/api/hives')).body.hives as Hive[];
    expect(hives.map((x) => x.name).sort()).toEqual(
      ['never-connected', ...Object.keys(PLATFORMS)].sort(),
    );
    const seen = new Set<string>();
    let runnable = 0;
    for (const hive of hives) {
      const fit = await edge.api('GET', `/api/hives/${hive.id}/catalog?all=1`);
      expect(fit.status).toBe(200);
      for (const entry of workers) {
        const shared = incompatibilities(entry, hive.platform);
        for (const r of shared) seen.add(r.code);
        if (shared.length === 0) runnable++;
        const server = fit.body.workers.find((w: { id: string }) => w.id === entry.id);
        const label = `${hive.name} × ${entry.id}`;
        // the edge's page data (what the catalog page shows when the edge can say)
        expect(server, label).toMatchObject({ runnable: shared.length === 0, reasons: shared });
        // the page's own check (what it shows when the edge cannot say)
        expect(whyNot(hive, entry), label).toEqual(shared.map((r) => r.message));
        expect(fitText(whyNot(hive, entry)), label).toBe(
          shared.length === 0 ? 'can run' : `cannot: ${shared.map((r) => r.message).join('; ')}`,
        );
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(CODES).sort());
    expect(runnable).toBeGreaterThan(0);
  });
});
