import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL } from '../../edge/dashboard/client/job-states.ts';
import { clientScript } from '../../edge/dashboard/client-script.ts';
import { buildClientScript, clientScriptFile } from '../../scripts/build-dashboard-client.ts';
import { terminalStates } from '../../shared/protocol/job.ts';
import { inProcessEdge } from '../support/in-process-edge.ts';

let edge: Awaited<ReturnType<typeof inProcessEdge>>;
beforeAll(async () => {
  edge = await inProcessEdge();
});
afterAll(() => edge?.close());

describe('the dashboard client script', () => {
  it('the committed edge/dashboard/client-script.ts is the bundle of edge/dashboard/client/ as it is now', async () => {
    const committed = await readFile(clientScriptFile, 'utf8');
    // On failure: run `npm run build:dashboard` and commit edge/dashboard/client-script.ts.
    expect(committed === (await buildClientScript()), 'client-script.ts is stale').toBe(true);
  });

  it('carries the shared compatibility check itself, not a copy of it', () => {
    expect(clientScript).toContain('// shared/catalog/compatibility.ts');
    expect(clientScript).toContain('function incompatibilities(');
    expect(clientScript).not.toMatch(/^import /m);
  });

  it("knows the protocol's terminal job states, without bundling zod", () => {
    expect([...TERMINAL].sort()).toEqual([...terminalStates].sort());
    expect(clientScript).not.toContain('// node_modules/zod');
  });

  it('is served as /dashboard/app.js, JavaScript, byte for byte', async () => {
    const res = await fetch(`${edge.url}/dashboard/app.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(clientScript);
  });
});
