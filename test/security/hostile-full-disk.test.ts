import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { tempDir } from '../support/edge-process.ts';
import {
  type AgentProcess,
  adminApi,
  type EdgeProcess,
  followJob,
  startAgentProcess,
  startEdgeProcess,
} from '../support/fleet.ts';
import { ADMIN } from '../support/in-process-edge.ts';

/**
 * A build fills the disk the agent's state is on (a real tmpfs: the spool and the workspace
 * share it), prints while it is full, and the space comes back: every line reaches the edge's
 * log once, in order, through the real edge and a root agent.
 */
const worker = 'hostile-fill-disk';
const LINES = 300;

let edge: EdgeProcess | undefined;
let agent: AgentProcess | undefined;
let disk: string | undefined;
const cleanup: string[] = [];
const api = adminApi(() => edge!.url);

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await edge?.stop('SIGKILL');
  if (disk) execFileSync('umount', ['-l', disk]);
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** The worker: fills the disk from its workspace, prints, waits for space, prints again. */
function writeCatalog(): string {
  const catalog = tempDir('hostile-disk-catalog');
  cleanup.push(catalog);
  const dir = join(catalog, worker);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'PKGBUILD'),
    `pkgname=${worker}
pkgver=1.0.0
pkgrel=1
arch=('any')
license=('MIT')
build() {
  dd if=/dev/zero of="$startdir/fill" bs=4k 2>/dev/null || true
  echo "disk full: $(df --output=avail "$startdir" | tail -1 | tr -d " ") KiB free"
  for i in $(seq 1 ${LINES}); do echo "full $i: while the disk has no room at all"; done
  # An empty file needs no blocks: it says every line above was printed while the disk was full.
  touch "$startdir/printed"
  # The test frees the space once the agent says its spool waits for it.
  while [ -e "$startdir/fill" ]; do sleep 0.05; done
  for i in $(seq 1 ${LINES}); do echo "after $i: the disk has room again"; done
}
package() { :; }
`,
  );
  writeFileSync(
    join(dir, 'worker.json'),
    JSON.stringify({
      id: worker,
      implementation: worker,
      worker_type: 'cpu',
      version: '1.0.0',
      platforms: ['linux'],
      architectures: ['x86_64', 'aarch64'],
      name: worker,
      description: 'fills the disk of the agent state while it prints',
      license: 'MIT',
      build_system: 'pkgbuild',
      source: { type: 'local', url: `/workers/${worker}/files/` },
      build: {},
      depends: [],
      makedepends: [],
      binary_name: worker,
      install_path: `/usr/local/bin/${worker}`,
      supported_formats: [],
      supports_streaming: false,
      supports_batching: false,
    }),
  );
  return catalog;
}

/** Resolves with the agent's output once it prints `text`. */
function printed(a: AgentProcess, text: string) {
  return new Promise<string>((resolve) => {
    const look = () => {
      if (!a.output().includes(text)) return;
      a.child.stdout?.off('data', look);
      resolve(a.output());
    };
    a.child.stdout?.on('data', look);
    look();
  });
}

/** Resolves once `path` exists (a watch on its folder, not a sleep). */
function appears(path: string) {
  return new Promise<void>((resolve) => {
    const watcher = watch(dirname(path), () => {
      if (!existsSync(path)) return;
      watcher.close();
      resolve();
    });
    if (existsSync(path)) {
      watcher.close();
      resolve();
    }
  });
}

describe('the spool on a full disk, through the real edge and a root agent', () => {
  test('a build fills the agent state disk, then space comes back: every line is in the edge log once', async () => {
    disk = tempDir('hostile-disk');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    const installBase = tempDir('hostile-disk-root');
    cleanup.push(installBase);
    edge = await startEdgeProcess(['--catalog', writeCatalog()]);
    const hive = await api('POST', '/api/hives', { name: 'full-disk' });
    expect(hive.status).toBe(201);
    agent = startAgentProcess(edge.url, hive.body.token, disk, [
      '--install-root',
      join(installBase, 'root'),
    ]);
    await printed(agent, 'rbee agent connected to');
    const created = await api('POST', '/api/installs', { hive: 'full-disk', worker });
    expect(created.status).toBe(201);
    const job = created.body.job.id as string;
    const ended = followJob(edge.url, job);

    // The spool waits for space: free it the way an operator would, from outside.
    await printed(agent, `log spool ${join(disk, 'spool', job)} is full (ENOSPC)`);
    await appears(join(disk, 'work', job, 'printed'));
    expect(execFileSync('df', ['--output=avail', disk], { encoding: 'utf8' })).toMatch(/\n\s*0\n$/);
    rmSync(join(disk, 'work', job, 'fill'));
    await printed(agent, `log spool ${join(disk, 'spool', job)} has space again`);
    await ended;

    const final = (await api('GET', `/api/jobs/${job}`)).body.job;
    expect(final).toMatchObject({ state: 'succeeded', error: null });
    const res = await fetch(`${edge.url}/api/jobs/${job}/logs.txt`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    const lines = (await res.text()).split('\n');
    expect(lines).toContain('disk full: 0 KiB free');
    const of = (prefix: string) => lines.filter((l) => l.startsWith(prefix));
    expect(of('full ')).toEqual(
      Array.from({ length: LINES }, (_, i) => `full ${i + 1}: while the disk has no room at all`),
    );
    expect(of('after ')).toEqual(
      Array.from({ length: LINES }, (_, i) => `after ${i + 1}: the disk has room again`),
    );
    // The build's output sits between its step lines, whole and in order.
    const start = lines.indexOf('==> build start: build()');
    const end = lines.indexOf('==> build end: build()');
    expect(lines.slice(start + 1, end)).toEqual([
      'disk full: 0 KiB free',
      ...of('full '),
      ...of('after '),
    ]);
  }, 180_000);
});
