/**
 * `npm run bench:build`: the executor against makepkg. Every figure is the median of a few
 * rounds run in turn with its competitor (this machine is shared and load comes in bursts).
 *  1. Wall time of `makepkg --noarchive --nodeps -f` and of `rbee build` on the same trivial
 *     package, both as whole commands. `rbee build` is timed three ways: as users type it
 *     (`npm run -s rbee -- build`: npm, scripts/bootstrap.mjs and the tsx CLI start first), as
 *     `node --import tsx cli/rbee.ts build` (every subcommand's module is loaded), and with only
 *     the build command's module loaded, which is what the executor itself costs.
 *  2. The line rate of a build printing 1,000,000 short lines through the callback (from the
 *     build step's start event to its end event), next to reading `seq 1000000` through a
 *     plain pipe in Node (spawn to close). Both run once first, so neither is measured before
 *     the JIT has compiled it.
 *  3. The sandbox's own start cost: `true` run the way the executor runs every command of a
 *     build (prlimit → setpriv → bwrap with every namespace and mount), next to plain `true`.
 * As root, makepkg runs as nobody (it refuses root) and so does the executor's PKGBUILD code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuild } from '../agent/executor/index.ts';
import { sandboxArgv } from '../agent/executor/sandbox/bwrap-args.ts';
import { sandboxLimits } from '../agent/executor/sandbox/sandbox-options.ts';
import { systemMounts } from '../agent/executor/sandbox/system-mounts.ts';

const isRoot = process.getuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), 'rbee-bench-build-'));
chmodSync(base, 0o755);

const TRIVIAL = `pkgname=rbee-trivial
pkgver=1
pkgrel=1
arch=('any')
license=('MIT')

package() {
  install -Dm644 /dev/null "$pkgdir/usr/share/rbee-trivial/marker"
}
`;

function packageDir(name: string, pkgbuild: string): string {
  const dir = join(base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'PKGBUILD'), pkgbuild);
  if (isRoot) execFileSync('chown', ['-R', '65534:65534', dir]);
  return dir;
}

/** Wall time of a whole command, in milliseconds; throws if it fails. */
function timeCommand(cmd: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${stderr}`));
    }),
  );
}

async function makepkgTime(round: number): Promise<number> {
  const dir = packageDir(`makepkg-${round}`, TRIVIAL);
  const home = join(base, `makepkg-home-${round}`);
  mkdirSync(home);
  if (isRoot) execFileSync('chown', ['65534:65534', home]);
  const makepkg = ['makepkg', '--noarchive', '--nodeps', '-f'];
  return isRoot
    ? timeCommand(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${home}`, ...makepkg],
        dir,
      )
    : timeCommand(makepkg[0]!, makepkg.slice(1), dir);
}

const ROOT = new URL('..', import.meta.url).pathname;
const BUILD_COMMAND = new URL('../cli/commands/build.ts', import.meta.url).href;

/** `rbee build` on a fresh copy of the trivial package, started the three ways above. */
const rbeeWays: [string, (dir: string) => [string, string[]]][] = [
  ['npm run -s rbee -- build', (dir) => ['npm', ['run', '-s', 'rbee', '--', 'build', dir]]],
  [
    'node --import tsx cli/rbee.ts build',
    (dir) => ['node', ['--import', 'tsx', 'cli/rbee.ts', 'build', dir]],
  ],
  [
    'build command module only',
    (dir) => [
      'node',
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { buildCommand } = await import(${JSON.stringify(BUILD_COMMAND)});` +
          'process.exitCode = await buildCommand.run(process.argv.slice(1));',
        dir,
      ],
    ],
  ],
];

async function rbeeTime(way: number, round: number): Promise<number> {
  const dir = packageDir(`rbee-${way}-${round}`, TRIVIAL);
  const [cmd, args] = rbeeWays[way]![1](dir);
  return timeCommand(cmd, args, ROOT);
}

/** Lines per second of the build step of a PKGBUILD running `seq n`, through onEvent. */
async function executorLineRate(
  n: number,
  tag: string,
): Promise<{ rate: number; lines: number; stepMs: number }> {
  const dir = packageDir(
    `lines-${tag}`,
    TRIVIAL.replace('package()', `build() { seq ${n}; }\n\npackage()`),
  );
  let lines = 0;
  let start = 0;
  let end = 0;
  await runBuild(dir, {
    onEvent: (e) => {
      if (e.type === 'line') lines++;
      else if (e.step === 'build') {
        if (e.phase === 'start') start = performance.now();
        else end = performance.now();
      }
    },
  });
  const stepMs = end - start;
  return { rate: lines / (stepMs / 1000), lines, stepMs };
}

/** The baseline: `seq N` read through a pipe, decoded and split into lines. */
function pipeLineRate(n: number): Promise<{ rate: number; lines: number; ms: number }> {
  const started = performance.now();
  const child = spawn('seq', [String(n)], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.setEncoding('utf8');
  let lines = 0;
  let rest = '';
  child.stdout.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    lines += parts.length;
  });
  return new Promise((resolve) =>
    child.on('close', () => {
      const ms = performance.now() - started;
      resolve({ rate: lines / (ms / 1000), lines, ms });
    }),
  );
}

/** `true` inside a build's sandbox (as the build user when root), whole command. */
function sandboxedTrue(): Promise<number> {
  const argv = sandboxArgv(
    {
      user: isRoot ? { uid: 65534, gid: 65534 } : undefined,
      limits: sandboxLimits({}),
      layout: { system: systemMounts(), mounts: [], writable: [base] },
      cgroup: undefined,
      network: true,
      cwd: '/',
    },
    'true',
    [],
  );
  return timeCommand(argv[0]!, argv.slice(1), '/');
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** Rounds per figure: the machine may be busy, so each figure is the median of its rounds. */
const TIME_ROUNDS = 3;
const LINE_ROUNDS = 5;
const START_ROUNDS = 21;

try {
  // Interleaved rounds, so a burst of load elsewhere hits every contender alike.
  const makepkgRuns: number[] = [];
  const rbeeRuns: number[][] = rbeeWays.map(() => []);
  for (let round = 0; round < TIME_ROUNDS; round++) {
    makepkgRuns.push(await makepkgTime(round));
    for (let way = 0; way < rbeeWays.length; way++) rbeeRuns[way]!.push(await rbeeTime(way, round));
  }
  const makepkgMs = median(makepkgRuns);
  const rbee = rbeeWays.map(([name], way) => {
    const ms = median(rbeeRuns[way]!);
    return `  ${name.padEnd(38)}${fmt(ms).padStart(6)} ms   (${(ms / makepkgMs).toFixed(2)} × makepkg; target ≤ 0.50)`;
  });
  await pipeLineRate(1_000_000);
  await executorLineRate(1_000_000, 'warm-up');
  const pipes: Awaited<ReturnType<typeof pipeLineRate>>[] = [];
  const executors: Awaited<ReturnType<typeof executorLineRate>>[] = [];
  for (let round = 0; round < LINE_ROUNDS; round++) {
    pipes.push(await pipeLineRate(1_000_000));
    executors.push(await executorLineRate(1_000_000, `round-${round}`));
  }
  const pipe = pipes.find((p) => p.rate === median(pipes.map((q) => q.rate)))!;
  const executor = executors.find((e) => e.rate === median(executors.map((q) => q.rate)))!;
  const plainRuns: number[] = [];
  const sandboxRuns: number[] = [];
  for (let round = 0; round < START_ROUNDS; round++) {
    plainRuns.push(await timeCommand('true', [], '/'));
    sandboxRuns.push(await sandboxedTrue());
  }
  const plainMs = median(plainRuns);
  const sandboxMs = median(sandboxRuns);
  const out = [
    `trivial package, whole commands (median of ${TIME_ROUNDS} runs each):`,
    `  ${'makepkg --noarchive --nodeps -f'.padEnd(38)}${fmt(makepkgMs).padStart(6)} ms`,
    ...rbee,
    `1,000,000 short lines (median of ${LINE_ROUNDS} runs each, after one warm-up run):`,
    `  ${'plain pipe in Node (seq | split)'.padEnd(38)}${fmt(pipe.rate)} lines/s   (${fmt(pipe.ms)} ms, ${fmt(pipe.lines)} lines)`,
    `  ${'rbee build → onEvent'.padEnd(38)}${fmt(executor.rate)} lines/s   (${fmt(executor.stepMs)} ms build step, ${fmt(executor.lines)} lines; ${(executor.rate / pipe.rate).toFixed(2)} × pipe; target ≥ 0.50)`,
    `sandbox start cost (median of ${START_ROUNDS} runs each; a trivial build starts 2 sandboxed commands):`,
    `  ${'plain true'.padEnd(38)}${plainMs.toFixed(1).padStart(6)} ms`,
    `  ${'prlimit → setpriv → bwrap … true'.padEnd(38)}${sandboxMs.toFixed(1).padStart(6)} ms   (${(sandboxMs / plainMs).toFixed(1)} × plain true; +${(sandboxMs - plainMs).toFixed(1)} ms per command)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
