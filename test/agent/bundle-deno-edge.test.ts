import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../shared/catalog/signature.ts';
import { type EdgeProcess, startDenoEdge, tempDir } from '../support/edge-process.ts';
import { adminApi, fixtureCatalog } from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';
import { buildBundle, type Daemon, startBundleAgent } from './bundle-support.ts';

/**
 * The Deno edge (edge/deno/main.ts under real `npx deno`) serves the agent as the Node edge
 * does: /agent/version, /agent/rbee-agent.mjs with its sha256 header, /install.sh with its own
 * address; and a hive installed from it with `curl | sh` connects to it.
 */
let edge: EdgeProcess;
let bundle: string;
const daemons: Daemon[] = [];
const api = adminApi(() => edge.url);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  bundle = buildBundle('0.1.0');
  edge = await startDenoEdge(['--catalog', fixtureCatalog], {
    RBEE_ADMIN_TOKEN: ADMIN,
    RBEE_AGENT_BUNDLE: bundle,
  });
}, 180_000);
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await edge?.stop('SIGKILL');
});

describe('the Deno edge serves the agent', () => {
  it('GET /agent/version, /agent/rbee-agent.mjs and /install.sh', async () => {
    const bytes = readFileSync(bundle);
    const version = await fetch(`${edge.url}/agent/version`);
    expect(await version.json()).toEqual({
      version: '0.1.0',
      sha256: sha256(bytes),
      size: bytes.length,
      signed_by: null,
    });
    const file = await fetch(`${edge.url}/agent/rbee-agent.mjs`);
    expect(file.status).toBe(200);
    expect(file.headers.get('x-rbee-agent-sha256')).toBe(sha256(bytes));
    expect(file.headers.get('x-rbee-agent-version')).toBe('0.1.0');
    expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(bytes));
    const script = await (await fetch(`${edge.url}/install.sh`)).text();
    expect(script).toContain(`\nRBEE_EDGE_DEFAULT='${edge.url}'\n`);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('curl | sh from the Deno edge installs an agent that connects to it', async () => {
    const { token } = (await api('POST', '/api/enrolment-tokens', { labels: { from: 'deno' } }))
      .body;
    const fleet = await generateKeyPair();
    const prefix = tempDir('deno-prefix');
    const installed = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'sh',
        [
          '-c',
          'curl -fsSL "$FROM/install.sh" | sh -s -- "$@"',
          'sh',
          '--enrol',
          token,
          '--trust-key',
          fleet.publicPem.split('\n')[1]!,
          '--prefix',
          prefix,
          '--unit-dir',
          join(prefix, 'units'),
          '--machine-id',
          'machine-deno-0001',
          '--install-root',
          join(prefix, 'root'),
          '--no-start',
        ],
        { env: { PATH: process.env.PATH, FROM: edge.url } },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (status) => resolve({ status, stderr }));
    });
    expect(installed.stderr).toContain(
      `rbee install: agent 0.1.0 (${sha256(readFileSync(bundle))}) in ${prefix}/rbee-agent.mjs`,
    );
    expect(installed.status).toBe(0);
    const unit = readFileSync(join(prefix, 'units', 'rbee-agent.service'), 'utf8');
    const words = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    const agent = startBundleAgent(words[1]!, words.slice(3), {});
    daemons.push(agent);
    await expect
      .poll(() => agent.output(), { timeout: 60_000 })
      .toMatch(/connected to .* as hive hive_\S+/);
    const hive = (await api('GET', '/api/hives')).body.hives.find(
      (h: { labels: Record<string, string> }) => h.labels.from === 'deno',
    );
    expect(hive).toMatchObject({
      online: true,
      agent_version: '0.1.0',
      // It trusts a fleet key and takes upgrade jobs for files that key signed.
      agent_upgradable: true,
      edge_agent_version: '0.1.0',
      agent_outdated: false,
    });
    const skipped = await api('POST', '/api/agents/upgrade', { hives: [hive.id] });
    expect(skipped.status).toBe(409);
    expect(skipped.body.error).toContain('its agent 0.1.0 is not older than 0.1.0');
    expect(await agent.stop()).toBe(0);
  }, 120_000);
});
