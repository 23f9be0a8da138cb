import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BuildError,
  type BuildOptions,
  type BuildResult,
  runBuild,
} from '../../agent/executor/index.ts';
import { bgToken, processesWithEnv } from '../agent/executor/process-scan.ts';
import { snapshotTree } from '../support/snapshot-tree.ts';

/**
 * Hostile PKGBUILDs against the real executor, as root, with the real bwrap: each attack is
 * aimed at sentinel files in temporary folders and must leave them as they were.
 */

const SECRET = 'rbee-sentinel-secret-7f3a';
let host: string;
/** World-readable, given to builds with readOnlyPaths, holding what must stay hidden. */
let shared: string;
/** Root-only file, world-writable folder: outside every sandbox. */
let secretFile: string;
let honeypot: string;
let stateDir: string;
let edgeDir: string;
let victim: ChildProcess;
let server: Server;
let serverUrl: string;
/** Requests the server got, by path. */
const serverHits = new Map<string, number>();
let before: Map<string, string>;
let scratchRoot: string;

/** Every sentinel, to compare after each attack: see snapshotTree. */
const sentinels = () => snapshotTree([host]);

beforeAll(async () => {
  scratchRoot = mkdtempSync(join(tmpdir(), 'rbee-sandbox-jobs-'));
  chmodSync(scratchRoot, 0o755);
  host = mkdtempSync(join(tmpdir(), 'rbee-sandbox-host-'));
  chmodSync(host, 0o755);
  secretFile = join(host, 'root-only.secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  honeypot = join(host, 'honeypot');
  mkdirSync(honeypot);
  chmodSync(honeypot, 0o777);
  shared = join(host, 'shared');
  mkdirSync(shared);
  writeFileSync(join(shared, 'visible.txt'), 'the build may read this\n');
  stateDir = join(shared, 'agent-state');
  mkdirSync(join(stateDir, 'spool'), { recursive: true });
  writeFileSync(join(stateDir, 'ledger.json'), `{"token":"${SECRET}"}\n`, { mode: 0o644 });
  edgeDir = join(shared, 'edge-data');
  mkdirSync(edgeDir);
  writeFileSync(join(edgeDir, 'edge.kv'), `other job's log ${SECRET}\n`, { mode: 0o644 });
  // A process of the build user's own uid outside any build, with secrets in argv and env.
  victim = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '600'], {
    env: { PATH: process.env.PATH, RBEE_TOKEN: SECRET, RBEE_ADMIN_TOKEN: SECRET },
    stdio: 'ignore',
  });
  await new Promise((resolve) => victim.once('spawn', resolve));
  server = createServer((req, res) => {
    serverHits.set(req.url ?? '', (serverHits.get(req.url ?? '') ?? 0) + 1);
    res.end(req.url === '/extra.txt' ? 'from the catalog\n' : 'hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  before = sentinels();
});

afterAll(async () => {
  victim?.kill('SIGKILL');
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (host) rmSync(host, { recursive: true, force: true });
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
});

type Outcome = { result?: BuildResult; error?: BuildError; output: string };

let scratchCount = 0;

/**
 * A PKGBUILD folder owned by nobody, under the file's own temporary folder (removed after
 * all): concurrent tests cannot use onTestFinished, which belongs to whichever test runs.
 */
function scratchPkgbuild(body: string): string {
  const dir = join(scratchRoot, `job-${scratchCount++}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'PKGBUILD'),
    `pkgname=rbee-scratch\npkgver=1\npkgrel=1\narch=('any')\nlicense=('MIT')\n${body}\n`,
  );
  execFileSync('chown', ['-R', '65534:65534', dir]);
  return dir;
}

async function attack(body: string, options: BuildOptions = {}): Promise<Outcome> {
  const dir = scratchPkgbuild(body);
  const lines: string[] = [];
  const outcome: Outcome = { output: '' };
  try {
    outcome.result = await runBuild(dir, {
      graceMs: 300,
      ...options,
      sandbox: { readOnlyPaths: [shared], hidePaths: [stateDir, edgeDir], ...options.sandbox },
      onEvent: (e) => {
        if (e.type === 'line') lines.push(e.text);
      },
    });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    outcome.error = error;
  }
  outcome.output = lines.join('\n');
  expect(sentinels()).toEqual(before);
  expect(isAlive(victim.pid!)).toBe(true);
  return outcome;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// Concurrent: each attack is mostly waiting on processes, and none may change what another sees.
describe.concurrent('a hostile build gets nothing', () => {
  test('RBEE_* variables of the agent and of a given env never reach the build', async () => {
    const saved = process.env.RBEE_ADMIN_TOKEN;
    process.env.RBEE_ADMIN_TOKEN = SECRET;
    try {
      const plain = await attack('build() { env; }\npackage() { :; }');
      expect(plain.error).toBeUndefined();
      expect(plain.output).toContain('PATH=');
      expect(plain.output).not.toContain(SECRET);
      expect(plain.output).not.toMatch(/^RBEE_/m);
      const given = await attack('build() { env; }\npackage() { :; }', {
        env: { PATH: process.env.PATH, RBEE_TOKEN: SECRET, KEPT: 'yes' },
      });
      expect(given.output).toContain('KEPT=yes');
      expect(given.output).not.toContain(SECRET);
    } finally {
      if (saved === undefined) delete process.env.RBEE_ADMIN_TOKEN;
      else process.env.RBEE_ADMIN_TOKEN = saved;
    }
  });

  test('/proc shows only the build: no environ or cmdline of the agent or its uid', async () => {
    const out = await attack(
      [
        'build() {',
        '  ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "; echo',
        '  cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"',
        `  cat /proc/${process.pid}/environ /proc/${victim.pid}/environ 2>&1 || echo "no such pids"`,
        '  grep -E "NoNewPrivs|CapEff" /proc/self/status',
        '}',
        'package() { :; }',
      ].join('\n'),
    );
    expect(out.error).toBeUndefined();
    expect(out.output).not.toContain(SECRET);
    expect(out.output).toContain('no such pids');
    expect(out.output).toMatch(/NoNewPrivs:\s+1/);
    expect(out.output).toMatch(/CapEff:\s+0+$/m);
  });

  test('a process outside the build cannot be signalled, not even one of the same uid', async () => {
    const out = await attack(
      `build() { kill -9 ${victim.pid} 2>&1 || echo "kill refused"; pkill -9 -u 65534 sleep || true; }\npackage() { :; }`,
    );
    expect(out.output).toContain('kill refused');
    expect(isAlive(victim.pid!)).toBe(true);
  });

  test('a file:// source only root can read fails as the build user, naming the rule', async () => {
    const out = await attack(
      `source=("file://${secretFile}")\nsha256sums=('SKIP')\npackage() { cat "$srcdir/root-only.secret"; }`,
      { sandbox: { readOnlyPaths: [host] } },
    );
    expect(out.error?.step).toBe('sources');
    expect(out.error?.message).toMatch(
      /^Failure while downloading file:\/\/.*root-only\.secret: the build user cannot read .*file:\/\/ sources are read as the build user; rule: root never follows a path the build controls/,
    );
    expect(out.output).not.toContain(SECRET);
  });

  test('a local source planted as a link to a root-only file is hashed as the build user', async () => {
    const sum = createHash('sha256').update(`${SECRET}\n`).digest('hex');
    const out = await attack(
      `ln -sfn ${secretFile} "$startdir/leak.txt"\nsource=('leak.txt')\nsha256sums=('${sum}')\npackage() { :; }`,
      { sandbox: { readOnlyPaths: [host] } },
    );
    // Root would have read it and said Passed: the build user cannot, so it is not found.
    expect(out.error?.step).toBe('checksums');
    expect(out.error?.message).toMatch(/leak\.txt: sha256sums NOT FOUND/);
  });

  test('the agent state folder and the edge data are not there; the rest of the folder is', async () => {
    const out = await attack(
      [
        'build() {',
        `  cat ${join(shared, 'visible.txt')}`,
        `  ls -A ${stateDir} ${edgeDir}; echo "listed"`,
        `  cat ${join(stateDir, 'ledger.json')} ${join(edgeDir, 'edge.kv')} 2>&1 || echo "unreadable"`,
        `  touch ${join(shared, 'planted')} 2>&1 || echo "read-only"`,
        '}',
        'package() { :; }',
      ].join('\n'),
    );
    expect(out.error).toBeUndefined();
    expect(out.output).toContain('the build may read this');
    expect(out.output).toContain('unreadable');
    expect(out.output).toContain('read-only');
    expect(out.output).not.toContain(SECRET);
    // Both folders list empty: the tmpfs over them, not a permission error.
    expect(out.output).toContain(`${stateDir}:\n\n${edgeDir}:\nlisted`);
    expect(out.output).toMatch(/ledger\.json: No such file or directory/);
  });

  test('a setsid daemon dies with its step and plants nothing in the next workspace', async () => {
    const token = bgToken();
    const [name, value] = token.split('=') as [string, string];
    const first = await attack(
      `build() { setsid bash -c 'while :; do ln -sfn ${honeypot} /tmp/next-src 2>/dev/null; sleep 0.05; done' </dev/null >/dev/null 2>&1 & sleep 0.3; echo "daemon started"; }\npackage() { :; }`,
      { env: { PATH: process.env.PATH, [name]: value } },
    );
    expect(first.error).toBeUndefined();
    expect(first.output).toContain('daemon started');
    expect(processesWithEnv(token)).toEqual([]);
    const second = await attack('build() { ls -A /tmp; echo "tmp listed"; }\npackage() { :; }');
    expect(second.error).toBeUndefined();
    expect(second.output).not.toContain('next-src');
    const src = lstatSync(second.result!.srcdir);
    expect(src.isDirectory()).toBe(true);
    expect(src.uid).toBe(65534);
  });

  test('a src link planted while the PKGBUILD is sourced is replaced, not followed', async () => {
    const out = await attack(
      `ln -sfn ${honeypot} "$startdir/src" 2>/dev/null || true\npackage() { :; }`,
    );
    expect(out.error).toBeUndefined();
    const src = lstatSync(out.result!.srcdir);
    expect(src.isSymbolicLink()).toBe(false);
    expect(src.isDirectory()).toBe(true);
    expect(statSync(honeypot).uid).toBe(0);
  });

  test('a .part link planted before a download is not written through', async () => {
    const out = await attack(
      `ln -sfn ${secretFile} "$startdir/extra.txt.part"\nsource=('extra.txt')\nsha256sums=('SKIP')\npackage() { install -Dm644 extra.txt "$pkgdir/extra.txt"; }`,
      { sourceBase: `${serverUrl}/` },
    );
    expect(out.error).toBeUndefined();
    expect(readFileSync(join(out.result!.pkgdirs[0]!, 'extra.txt'), 'utf8')).toBe(
      'from the catalog\n',
    );
  });

  test('a source name that leaves the build folder is refused, naming the rule', async () => {
    const out = await attack(
      `source=("../../escape.txt::${serverUrl}/x")\nsha256sums=('SKIP')\npackage() { :; }`,
    );
    expect(out.error?.step).toBe('sources');
    expect(out.error?.message).toMatch(
      /^Refused source file name "\.\.\/\.\.\/escape\.txt": it must stay inside the build directory \(rule: root never follows a path the build controls\)/,
    );
  });

  test('a tarball with a symlink and a file behind it writes nothing outside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbee-evil-tar-'));
    try {
      symlinkSync(honeypot, join(dir, 'evil'));
      execFileSync('tar', ['cf', 'evil.tar', 'evil'], { cwd: dir });
      rmSync(join(dir, 'evil'));
      mkdirSync(join(dir, 'evil'));
      writeFileSync(join(dir, 'evil', 'planted'), 'planted\n');
      execFileSync('tar', ['rf', 'evil.tar', 'evil/planted'], { cwd: dir });
      const tar = readFileSync(join(dir, 'evil.tar')).toString('base64');
      const out = await attack(
        `printf %s '${tar}' | base64 -d > "$startdir/evil.tar"\nsource=('evil.tar')\nsha256sums=('SKIP')\npackage() { :; }`,
      );
      expect(out.error?.step).toBe('extract');
      expect(out.error?.message).toMatch(/^Failed to extract evil\.tar/);
      expect(out.output).toMatch(/Cannot extract through symlink/);
      expect(readdirSync(honeypot)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a fork bomb stops at the process limit and leaves nothing running', async () => {
    const token = bgToken();
    const [name, value] = token.split('=') as [string, string];
    // A uid of its own: the limit counts every process of the uid on the host.
    const out = await attack(
      `build() { perl -e 'for (1..500) { my $p = fork(); if (!defined $p) { print "fork failed after $_: $!\\n"; exit 7 } if (!$p) { sleep 60; exit 0 } }'; }\npackage() { :; }`,
      {
        env: { PATH: process.env.PATH, [name]: value },
        buildUser: { uid: 64_999, gid: 64_999 },
        sandbox: { maxProcesses: 40 },
      },
    );
    expect(out.error?.step).toBe('build');
    expect(out.error?.exitCode).toBe(7);
    expect(out.output).toMatch(/fork failed after \d+: Resource temporarily unavailable/);
    expect(Number(/after (\d+)/.exec(out.output)?.[1])).toBeLessThan(40);
    expect(processesWithEnv(token)).toEqual([]);
  });

  test('a file past the size limit fails the write', async () => {
    const out = await attack(
      'build() { head -c 2M /dev/zero > big 2>&1 || echo "write stopped"; ls -l big; }\npackage() { :; }',
      { sandbox: { maxFileBytes: 1024 * 1024 } },
    );
    expect(out.output).toContain('write stopped');
    expect(out.output).toMatch(/ 1048576 .* big$/m);
  });

  test('--build-network off cuts the build functions, sources still download', async () => {
    const out = await attack(
      `source=("net.txt::${serverUrl}/net")\nsha256sums=('SKIP')\nbuild() { curl -sS --max-time 5 ${serverUrl}/from-build 2>&1 || echo "no network"; }\npackage() { :; }`,
      { sandbox: { network: 'off' } },
    );
    expect(out.error).toBeUndefined();
    expect(out.output).toContain('no network');
    expect(serverHits.get('/net')).toBe(1);
    expect(serverHits.get('/from-build')).toBeUndefined();
  });

  test('/tmp and /dev/shm are private to the build', async () => {
    const mark = `rbee-private-${process.pid}`;
    const out = await attack(
      `build() { touch /tmp/${mark} /dev/shm/${mark}; ls /tmp /dev/shm; }\npackage() { :; }`,
    );
    expect(out.error).toBeUndefined();
    expect(out.output).toContain(mark);
    expect(() => statSync(join('/dev/shm', mark))).toThrow();
    expect(() => statSync(join(tmpdir(), mark))).toThrow();
  });

  test('a root agent without a usable bwrap refuses to build, naming the rule', async () => {
    const dir = scratchPkgbuild('touch "$startdir/sourced"\npackage() { :; }');
    const error = await runBuild(dir, { sandbox: { bwrap: '/nonexistent/bwrap' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).step).toBe('metadata');
    expect((error as BuildError).message).toMatch(
      /^No build sandbox: bwrap failed its self-test .*refused by the rule: a root agent runs PKGBUILD code only in a sandbox \(start it with --unsafe-no-sandbox to build without one\)/,
    );
    expect(() => statSync(join(dir, 'sourced'))).toThrow();
    const unsafe = await runBuild(dir, {
      sandbox: { bwrap: '/nonexistent/bwrap', unsafeNoSandbox: true },
    });
    expect(unsafe.pkgnames).toEqual(['rbee-scratch']);
    expect(statSync(join(dir, 'sourced')).uid).toBe(65534);
  });
});
