import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bgToken, processesWithEnv } from '../agent/executor/process-scan.ts';
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
import { snapshotTree } from '../support/snapshot-tree.ts';
import { readSse } from '../support/sse.ts';

/**
 * The hostile-build suite through the real edge and a real root agent: one catalog worker per
 * attack, each installed through the admin API, one after another on one hive. Each attack is
 * aimed at root-owned sentinels in temp folders (one beside the install root); after each, the
 * sentinels are as they were, the job failed naming the rule (or succeeded harmlessly), and an
 * ordinary install of the demo worker right after works.
 */

const SECRET = `rbee-hostile-secret-${process.pid}`;
const BUILD_USER = 65534;
/** Low enough that the fork bomb meets it quickly, high enough for every ordinary build. */
const MAX_PROCESSES = 200;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

let edge: EdgeProcess;
let agent: AgentProcess;
let hiveToken: string;
let state: string;
let edgeData: string;
let catalog: string;
/** Root-owned sentinels an attack aims at. */
let base: string;
let secretFile: string;
let honeypot: string;
let outside: string;
/** The install root's parent, with a sentinel beside the root. */
let installBase: string;
let root: string;
let victim: ChildProcess;
/** A process of the build user's uid outside any sandbox that looks for the agent's secrets. */
let spy: ChildProcess;
let spyHits: string;
/** Written by the spy when it reads the victim's RBEE_TOKEN: the spy works. */
let spySeen: string;
let spyDir: string;
let before: Map<string, string>;

/**
 * The spy: over and over, every environment its uid may read that holds an RBEE_ secret, with
 * the process's ancestors (other agents on the machine are told apart by them) and command.
 */
const SPY = String.raw`
while :; do
  grep -la -e RBEE_ADMIN_TOKEN= -e RBEE_TOKEN= /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
    pid=$(basename "$(dirname "$f")")
    if [ "$pid" = "$VICTIM" ]; then
      [ -e "$SEEN" ] || { echo ok > "$SEEN.new"; mv "$SEEN.new" "$SEEN"; }
      continue
    fi
    chain=" "; p=$pid
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
      chain="$chain$p "
      p=$(sed -E 's/^.*\) . ([0-9]+) .*$/\1/' "/proc/$p/stat" 2>/dev/null)
    done
    echo "$pid ancestors:$chain| $(tr '\0\n' '  ' < "/proc/$pid/cmdline" | head -c 120)" >> "$HITS"
  done
  sleep 0.02
done`;
const api = adminApi(() => edge.url);

/** Every sentinel (the install root itself left out): see snapshotTree. */
const sentinels = () => snapshotTree([base, installBase], { skip: [root] });

type WorkerSpec = {
  /** The PKGBUILD after pkgname/pkgver/pkgrel/arch/license. */
  body: string;
  /** More package names (split packages); the first is the worker's id. */
  more?: string[];
  /** Files served beside the PKGBUILD. */
  files?: Record<string, Buffer>;
};

const specs = new Map<string, WorkerSpec>();

/** Writes `<catalog>/<id>/` (worker.json, PKGBUILD, files) for one attack. */
function writeWorker(id: string, spec: WorkerSpec) {
  const dir = join(catalog, id);
  mkdirSync(dir, { recursive: true });
  const names = [id, ...(spec.more ?? [])];
  const pkgname = names.length > 1 ? `(${names.join(' ')})` : id;
  writeFileSync(
    join(dir, 'PKGBUILD'),
    `pkgname=${pkgname}\npkgver=1.0.0\npkgrel=1\narch=('any')\nlicense=('MIT')\n${spec.body}\n`,
  );
  for (const [name, bytes] of Object.entries(spec.files ?? {}))
    writeFileSync(join(dir, name), bytes);
  writeFileSync(
    join(dir, 'worker.json'),
    JSON.stringify({
      id,
      implementation: id,
      worker_type: 'cpu',
      version: '1.0.0',
      platforms: ['linux'],
      architectures: ['x86_64', 'aarch64'],
      name: id,
      description: `hostile build: ${id}`,
      license: 'MIT',
      build_system: 'pkgbuild',
      source: { type: 'local', url: `/workers/${id}/files/` },
      build: {},
      depends: [],
      makedepends: [],
      binary_name: id,
      install_path: `/usr/local/bin/${id}`,
      supported_formats: [],
      supports_streaming: false,
      supports_batching: false,
    }),
  );
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A tar whose first entry is `evil -> <honeypot>` and whose second is `evil/planted`. */
function evilTar(): Buffer {
  const dir = tempDir('hostile-tar');
  try {
    symlinkSync(honeypot, join(dir, 'evil'));
    execFileSync('tar', ['cf', 'evil.tar', 'evil'], { cwd: dir });
    rmSync(join(dir, 'evil'));
    mkdirSync(join(dir, 'evil'));
    writeFileSync(join(dir, 'evil', 'planted'), 'planted by the tarball\n');
    execFileSync('tar', ['rf', 'evil.tar', 'evil/planted'], { cwd: dir });
    return readFileSync(join(dir, 'evil.tar'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const daemonToken = bgToken();

/** The attacks, by worker id. Paths outside the sandbox are absolute host paths. */
function writeAttacks() {
  const [markName, markValue] = daemonToken.split('=') as [string, string];
  const tar = evilTar();
  const attacks: Record<string, WorkerSpec> = {
    'hostile-split': {
      more: ['hostile-split-b'],
      body: [
        `package_hostile-split() { mkdir -p "$pkgdir/usr/local"; ln -s ${outside} "$pkgdir/usr/local/evil"; }`,
        'package_hostile-split-b() { mkdir -p "$pkgdir/usr/local/evil/sub"; echo "written by root?" > "$pkgdir/usr/local/evil/sub/file"; }',
      ].join('\n'),
    },
    'hostile-file-source': {
      body: `source=("file://${secretFile}")\nsha256sums=('SKIP')\npackage() { cat "$srcdir/root-only.secret"; }`,
    },
    'hostile-environ': {
      body: [
        'build() {',
        '  env',
        '  ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "; echo',
        '  cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"',
        `  cat /proc/${process.pid}/environ /proc/${victim.pid}/environ 2>&1 || echo "no such pids"`,
        '  grep -E "NoNewPrivs|CapEff" /proc/self/status',
        '}',
        'package() { :; }',
      ].join('\n'),
    },
    'hostile-setuid': {
      body: [
        "options=('!strip')",
        'package() {',
        '  install -Dm4755 /bin/true "$pkgdir/usr/local/bin/hostile-setuid"',
        '  install -Dm2777 /bin/true "$pkgdir/usr/local/bin/hostile-setgid"',
        '  ls -l "$pkgdir/usr/local/bin"',
        '}',
      ].join('\n'),
    },
    'hostile-failed-mark': {
      body: `build() { ln -sfn ${join(outside, 'shadow')} "$startdir/.rbee-failed"; echo "planted the mark"; exit 3; }\npackage() { :; }`,
    },
    'hostile-daemon': {
      body: [
        'build() {',
        // The daemon says it runs by a file; the build waits for the test to have seen it.
        `  setsid env ${markName}=${markValue} bash -c 'touch "$0/daemon-up"; while :; do ln -sfn ${honeypot} "$0/src" 2>/dev/null; ln -sfn ${honeypot} "$0/../next/src" 2>/dev/null; sleep 0.05; done' "$startdir" </dev/null >/dev/null 2>&1 &`,
        '  while [ ! -e "$startdir/daemon-up" ]; do sleep 0.02; done',
        '  echo "daemon started"',
        '  while [ ! -e "$startdir/seen" ]; do sleep 0.02; done',
        '}',
        'package() { :; }',
      ].join('\n'),
    },
    // The archive step (outside the sandbox) packs the install= file: build() makes it a link.
    'hostile-install-file': {
      files: { 'hostile.install': Buffer.from('post_install() { :; }\n') },
      body: `install=hostile.install\nbuild() { ln -sfn ${join(outside, 'passwd')} "$startdir/hostile.install"; ls -l "$startdir/hostile.install"; }\npackage() { :; }`,
    },
    'hostile-fifo': {
      body: 'package() { mkdir -p "$pkgdir/usr/local/bin"; mkfifo "$pkgdir/usr/local/bin/pipe"; }',
    },
    'hostile-device': {
      body: 'package() { mkdir -p "$pkgdir/dev"; mknod "$pkgdir/dev/mem" c 1 1; ls -l "$pkgdir/dev"; }',
    },
    'hostile-hardlink': {
      body: 'package() { echo "changed later by the build" > "$srcdir/payload"; mkdir -p "$pkgdir/etc"; ln "$srcdir/payload" "$pkgdir/etc/hostile.conf"; }',
    },
    'hostile-tarball': {
      files: { 'evil.tar': tar },
      body: `source=('evil.tar')\nsha256sums=('${sha256(tar)}')\npackage() { :; }`,
    },
    'hostile-fork-bomb': {
      body: `build() { perl -e 'for (1..2000) { my $p = fork(); if (!defined $p) { print "fork failed after $_: $!\\n"; exit 7 } if (!$p) { sleep 60; exit 0 } }'; }\npackage() { :; }`,
    },
    'hostile-disk-fill': {
      body: 'build() { head -c 200M /dev/zero > fill; }\npackage() { :; }',
    },
    'hostile-peek': {
      body: [
        'build() {',
        `  ls -A ${state} ${edgeData} || true; echo "listed"`,
        `  cat ${join(state, 'hive.token')} ${join(state, 'jobs', 'ledger.json')} ${join(edgeData, 'edge.kv')} 2>&1 || echo "unreadable"`,
        `  cat ${secretFile} 2>&1 || echo "secret unreadable"`,
        `  touch ${join(honeypot, 'planted')} 2>&1 || echo "honeypot unreachable"`,
        '}',
        'package() { :; }',
      ].join('\n'),
    },
    'hostile-signal': {
      body: `build() { kill -9 ${victim.pid} 2>&1 || echo "kill refused"; pkill -9 -u ${BUILD_USER} sleep || echo "pkill found nothing"; }\npackage() { :; }`,
    },
  };
  for (const [id, spec] of Object.entries(attacks)) {
    specs.set(id, spec);
    writeWorker(id, spec);
  }
}

beforeAll(async () => {
  base = tempDir('hostile-sentinels');
  chmodSync(base, 0o755);
  secretFile = join(base, 'root-only.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'shadow'), `sentinel shadow ${SECRET}\n`, { mode: 0o600 });
  writeFileSync(join(outside, 'passwd'), 'sentinel passwd\n', { mode: 0o644 });
  honeypot = join(base, 'honeypot');
  mkdirSync(honeypot);
  chmodSync(honeypot, 0o777);
  installBase = tempDir('hostile-install');
  root = join(installBase, 'root');
  writeFileSync(join(installBase, 'beside-root.conf'), 'sentinel beside the root\n', {
    mode: 0o600,
  });
  // A process of the build user's uid outside any build, with secrets in its environment.
  victim = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '600'], {
    env: { PATH: process.env.PATH, RBEE_TOKEN: SECRET },
    stdio: 'ignore',
  });
  await new Promise((resolve) => victim.once('spawn', resolve));
  // It reads the environment of every process it may (its own uid's), over and over.
  spyDir = tempDir('hostile-spy');
  chmodSync(spyDir, 0o777);
  spyHits = join(spyDir, 'hits');
  spySeen = join(spyDir, 'seen');
  spy = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', SPY], {
    env: { PATH: process.env.PATH, HITS: spyHits, SEEN: spySeen, VICTIM: String(victim.pid) },
    stdio: 'ignore',
  });

  catalog = tempDir('hostile-catalog');
  edgeData = tempDir('hostile-edge');
  state = tempDir('hostile-agent');
  writeAttacks();
  // The agent's environment holds the admin token, as under `rbee start`: no build may see it.
  process.env.RBEE_ADMIN_TOKEN = ADMIN;
  edge = await startEdgeProcess(['--catalog', catalog], edgeData);
  const hive = await api('POST', '/api/hives', { name: 'hostile' });
  expect(hive.status).toBe(201);
  hiveToken = hive.body.token;
  // A builder archives and uploads what it built: the archive step runs for every attack.
  expect((await api('POST', '/api/hives/hostile/builder', { builder: true })).status).toBe(200);
  agent = startAgentProcess(edge.url, hiveToken, state, [
    '--install-root',
    root,
    '--build-max-processes',
    String(MAX_PROCESSES),
    '--build-max-file-size',
    String(MAX_FILE_BYTES),
  ]);
  delete process.env.RBEE_ADMIN_TOKEN;
  await printed(agent, 'rbee agent connected to');
  before = sentinels();
}, 180_000);

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await edge?.stop('SIGKILL');
  victim?.kill('SIGKILL');
  spy?.kill('SIGKILL');
  for (const dir of [base, installBase, catalog, spyDir, state, edgeData])
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Resolves when the agent prints `text`: the suite acts on the event, not after a sleep. */
function printed(a: AgentProcess, text: string) {
  return new Promise<void>((resolve) => {
    const look = () => {
      if (!a.output().includes(text)) return;
      a.child.stdout?.off('data', look);
      resolve();
    };
    a.child.stdout?.on('data', look);
    look();
  });
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

type Step = { step: string; phase: 'start' | 'end'; ok?: boolean; note?: string };

/** Installs a worker through the admin API and follows the job to its end. */
async function install(worker: string) {
  // force: an ordinary install after each attack replaces the same version, it is not skipped.
  const created = await api('POST', '/api/installs', { hive: 'hostile', worker, force: true });
  expect(created.status).toBe(201);
  const id = created.body.job.id as string;
  const events = await followJob(edge.url, id);
  const steps: Step[] = events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
  const final = (await api('GET', `/api/jobs/${id}`)).body.job;
  const res = await fetch(`${edge.url}/api/jobs/${id}/logs.txt`, {
    headers: { Authorization: `Bearer ${ADMIN}` },
  });
  return { id, final, steps, log: await res.text() };
}

/**
 * Runs one attack's install; then checks that no sentinel changed, that the victim process
 * lives, that no secret reached the log, and that an ordinary install right after works.
 */
async function attack(worker: string) {
  const run = await install(worker);
  expect(sentinels()).toEqual(before);
  expect(isAlive(victim.pid!)).toBe(true);
  for (const secret of LOG_SECRETS()) expect(run.log).not.toContain(secret);
  const next = await install('rbee-hello-worker');
  expect(next.final).toMatchObject({ state: 'succeeded', error: null });
  expect(next.steps).toContainEqual(
    expect.objectContaining({ step: 'install', phase: 'end', ok: true }),
  );
  expect(readFileSync(join(root, 'usr/local/bin/rbee-hello-worker'), 'utf8')).toContain('hello');
  expect(readdirSync(root).filter((n) => n.startsWith('.rbee-staging-'))).toEqual([]);
  expect(sentinels()).toEqual(before);
  return run;
}

const LIMIT_MS = 120_000;

const LOG_SECRETS = () => [SECRET, ADMIN, hiveToken];

describe('hostile catalog workers through the real edge and a root agent', () => {
  test(
    'split packages: A ships usr/local/evil -> a folder outside, B ships usr/local/evil/sub/file',
    async () => {
      const run = await attack('hostile-split');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: {
          step: 'install',
          message:
            'Refusing /usr/local/evil (rule parent-symlink): another package ships it as a symlink, this one puts files under it',
        },
      });
      expect(readdirSync(outside).sort()).toEqual(['passwd', 'shadow']);
    },
    LIMIT_MS,
  );

  test(
    'a file:// source only root can read fails as the build user, naming the rule',
    async () => {
      const run = await attack('hostile-file-source');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: {
          step: 'sources',
          message: `Failure while downloading file://${secretFile}: the build user cannot read ${secretFile} (file:// sources are read as the build user; rule: root never follows a path the build controls)`,
        },
      });
    },
    LIMIT_MS,
  );

  test(
    'RBEE_* of the agent, /proc/*/environ and /proc/*/cmdline: the build sees only itself',
    async () => {
      const run = await attack('hostile-environ');
      expect(run.final).toMatchObject({ state: 'succeeded', error: null });
      expect(run.log).toMatch(/^PATH=/m);
      expect(run.log).toMatch(/^HOME=/m);
      expect(run.log).not.toMatch(/^RBEE_/m);
      expect(run.log).toContain('no such pids');
      expect(run.log).toMatch(/NoNewPrivs:\s+1/);
      expect(run.log).toMatch(/CapEff:\s+0+$/m);
    },
    LIMIT_MS,
  );

  test(
    'setuid and setgid (and world-writable) bits are cleared at install, and said so',
    async () => {
      const run = await attack('hostile-setuid');
      expect(run.final).toMatchObject({ state: 'succeeded', error: null });
      // package() made them (the build user may set the bits on its own files).
      expect(run.log).toMatch(/^-rwsr-xr-x .* hostile-setuid$/m);
      expect(run.log).toContain(
        "cleared setuid on /usr/local/bin/hostile-setuid (not in the catalog's install.allow_setuid)",
      );
      expect(run.log).toContain(
        "cleared setgid on /usr/local/bin/hostile-setgid (not in the catalog's install.allow_setuid)",
      );
      expect(statSync(join(root, 'usr/local/bin/hostile-setuid')).mode & 0o7777).toBe(0o755);
      expect(statSync(join(root, 'usr/local/bin/hostile-setgid')).mode & 0o7777).toBe(0o775);
    },
    LIMIT_MS,
  );

  test(
    'a .rbee-failed symlink the build planted is not followed when root marks the workspace',
    async () => {
      const run = await attack('hostile-failed-mark');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: { step: 'build', message: 'build() failed with exit code 3' },
      });
      const workspace = run.steps.find((st) => st.step === 'workspace' && st.phase === 'end')!
        .note!;
      const cleanup = run.steps.findLast((st) => st.step === 'cleanup' && st.phase === 'end')!;
      expect(cleanup.note).toContain(
        `(not marked: Refusing to write ${join(workspace, '.rbee-failed')} (rule no-follow)`,
      );
      expect(lstatSync(join(workspace, '.rbee-failed')).isSymbolicLink()).toBe(true);
    },
    LIMIT_MS,
  );

  test(
    'a setsid daemon dies with its build step and plants nothing',
    async () => {
      let workspace = '';
      let whileRunning: number[] = [];
      // Follows the job live: once the build says the daemon runs, look for it, then let it go on.
      const created = await api('POST', '/api/installs', {
        force: true,
        hive: 'hostile',
        worker: 'hostile-daemon',
      });
      await readSse(
        `${edge.url}/api/jobs/${created.body.job.id}/logs`,
        { Authorization: `Bearer ${ADMIN}` },
        (e) => {
          if (e.event === 'step') {
            const st = JSON.parse(e.data) as Step;
            if (st.step === 'workspace' && st.phase === 'end') workspace = st.note!;
          }
          if (e.event === 'logs' && e.data.includes('daemon started') && !whileRunning.length) {
            whileRunning = processesWithEnv(daemonToken);
            writeFileSync(join(workspace, 'seen'), '');
          }
          return e.event === 'end';
        },
      );
      const final = (await api('GET', `/api/jobs/${created.body.job.id}`)).body.job;
      expect(final).toMatchObject({ state: 'succeeded', error: null });
      expect(whileRunning.length).toBeGreaterThan(0);
      expect(processesWithEnv(daemonToken)).toEqual([]);
      expect(sentinels()).toEqual(before);
      expect(readdirSync(honeypot)).toEqual([]);
      await attack('hostile-signal');
    },
    LIMIT_MS,
  );

  test(
    'an install= file outside the build folder is not packed from the host',
    async () => {
      const run = await attack('hostile-install-file');
      // build() made the install= file a link to a host file the sandbox hid.
      expect(run.log).toContain(`hostile.install -> ${join(outside, 'passwd')}`);
      expect(run.final).toMatchObject({
        state: 'failed',
        error: {
          step: 'archive',
          message: expect.stringMatching(
            /^Refusing install file hostile\.install: it resolves to .*\/outside\/passwd, it must be a file inside the build folder .* \(rule: root never follows a path the build controls\)$/,
          ),
        },
      });
      // Nothing was packed, so nothing reached the edge's package cache.
      const listed = await api('GET', '/api/packages?worker=hostile-install-file');
      expect(listed.body.packages).toEqual([]);
    },
    LIMIT_MS,
  );

  test(
    'a FIFO in the package is refused by the walk, and the install never blocks on it',
    async () => {
      const run = await attack('hostile-fifo');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: {
          step: 'install',
          message:
            'Refusing /usr/local/bin/pipe (rule special-file): it is a FIFO, and install places only files, folders and symlinks',
        },
      });
    },
    LIMIT_MS,
  );

  test(
    'a device node made under fakeroot reaches the root as an empty plain file',
    async () => {
      const run = await attack('hostile-device');
      expect(run.final).toMatchObject({ state: 'succeeded', error: null });
      // fakeroot's mknod: a device in package()'s eyes, an empty file of the build user on disk.
      expect(run.log).toMatch(/^crw-r--r-- 1 root root 1, 1 .* mem$/m);
      const plain = () => {
        const mem = lstatSync(join(root, 'dev/mem'));
        expect(mem.isFile()).toBe(true);
        expect(mem.size).toBe(0);
        expect(mem.mode & 0o7777).toBe(0o644);
      };
      plain();
      // Installed again from the package cache: the archive holds the plain file too.
      const cached = await install('hostile-device');
      expect(cached.final).toMatchObject({ state: 'succeeded', error: null });
      expect(cached.log).toMatch(/==> cache end: hit: /);
      expect(sentinels()).toEqual(before);
      plain();
    },
    LIMIT_MS,
  );

  test(
    'a hard link to a file the build keeps is refused',
    async () => {
      const run = await attack('hostile-hardlink');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: {
          step: 'install',
          message:
            'Refusing /etc/hostile.conf (rule hard-link): it has 2 links: a hard link could tie an installed file to one the build still controls',
        },
      });
    },
    LIMIT_MS,
  );

  test(
    'a tarball source with a symlink and a file behind it writes nothing outside',
    async () => {
      const run = await attack('hostile-tarball');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: { step: 'extract', message: 'Failed to extract evil.tar' },
      });
      expect(run.log).toMatch(/Cannot extract through symlink evil\/planted/);
      expect(readdirSync(honeypot)).toEqual([]);
    },
    LIMIT_MS,
  );

  test(
    'a fork bomb stops at --build-max-processes and leaves nothing running',
    async () => {
      const run = await attack('hostile-fork-bomb');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: { step: 'build', exit_code: 7 },
      });
      const forked = Number(
        /fork failed after (\d+): Resource temporarily unavailable/.exec(run.log)?.[1],
      );
      expect(forked).toBeLessThan(MAX_PROCESSES);
    },
    LIMIT_MS,
  );

  test(
    'a build that fills the disk stops at --build-max-file-size',
    async () => {
      const run = await attack('hostile-disk-fill');
      expect(run.final).toMatchObject({
        state: 'failed',
        error: { step: 'build', message: 'build() failed with exit code 153' },
      });
      expect(run.log).toContain('File size limit exceeded');
      const workspace = run.steps.find((st) => st.step === 'workspace' && st.phase === 'end')!
        .note!;
      expect(statSync(join(workspace, 'src', 'fill')).size).toBe(MAX_FILE_BYTES);
    },
    LIMIT_MS,
  );

  test(
    'the agent state folder and the edge data are not there for the build',
    async () => {
      const run = await attack('hostile-peek');
      expect(run.final).toMatchObject({ state: 'succeeded', error: null });
      // The state folder shows only the path down to the workspace; the edge data is not there.
      expect(run.log).toContain(`${state}:\nwork\nlisted`);
      expect(run.log).toContain(`ls: cannot access '${edgeData}': No such file or directory`);
      for (const path of [join(state, 'hive.token'), join(state, 'jobs', 'ledger.json')]) {
        expect(run.log).toContain(`cat: ${path}: No such file or directory`);
      }
      expect(run.log).toContain(`cat: ${join(edgeData, 'edge.kv')}: No such file or directory`);
      expect(run.log).toContain('secret unreadable');
      expect(run.log).toContain('honeypot unreachable');
      // On the host, what holds secrets is closed to the build user besides.
      expect(statSync(state).mode & 0o777).toBe(0o711);
      for (const name of ['jobs', 'spool', 'installed', 'journal']) {
        expect(statSync(join(state, name)).mode & 0o777).toBe(0o700);
      }
      expect(statSync(edgeData).mode & 0o777).toBe(0o700);
    },
    LIMIT_MS,
  );

  test('no process of the build user outside the sandbox ever held the agent secrets', () => {
    expect(readFileSync(spySeen, 'utf8')).toBe('ok\n');
    let hits: string[] = [];
    try {
      hits = readFileSync(spyHits, 'utf8').split('\n');
    } catch {}
    // The agent took the hive token from argv (a world-readable /proc/<pid>/cmdline) at start.
    expect(readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8')).not.toContain(hiveToken);
    // Only this agent's processes: other agents may run on the machine at the same time.
    expect(hits.filter((line) => line.includes(` ${agent.child.pid} `))).toEqual([]);
  });
});
