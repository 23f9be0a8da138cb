#!/usr/bin/env node
// The entry of `npm start`, `npm test` and `npm run rbee`: it makes a fresh clone work by
// itself. It installs the npm dependencies when they are missing or stale, checks the Debian
// packages the tests need (installing them when it can, as root with apt-get, or saying exactly
// what to run), then hands over to the real command. Plain JavaScript: it runs before tsx exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureCliBundle } from './ensure-cli-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const say = (line) => process.stderr.write(`[rbee] ${line}\n`);

/**
 * The Debian packages from scripts/debian-packages.txt (the one list, also read by .ci/run and
 * quoted in the README): for each, the command that shows it is installed and who needs it.
 */
function debianPackages(group) {
  const text = readFileSync(join(root, 'scripts', 'debian-packages.txt'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , ...groups]) => groups.includes(group))
    .map(([pkg, command]) => [command, pkg]);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm dependencies (npm ci)…');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
    say("'npm ci' failed: fix the error above, then run 'npm ci' yourself.");
    process.exit(1);
  }
}

function ensureDebianPackages(tools, who) {
  const missing = [...new Set(tools.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  const install = `apt-get install -y ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !has('apt-get')) {
    say(`${who} need these Debian packages: ${missing.join(' ')}`);
    say(`install them first: sudo apt-get update && sudo ${install}`);
    process.exit(1);
  }
  say(`installing Debian packages ${who} need: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update', '-qq'], { env }) !== 0 ||
    run('sh', ['-c', `${install} -qq`], { env }) !== 0
  ) {
    say(`could not install them: run 'apt-get update && ${install}' and try again.`);
    process.exit(1);
  }
}

/** The steps of `npm test`, in order; the first failure stops the run. */
const testSteps = [
  ['type-check (all code, Node types)', 'tsc', ['--noEmit', '-p', 'tsconfig.json']],
  [
    'type-check (shared/ and edge core: ES + DOM only)',
    'tsc',
    ['--noEmit', '-p', 'tsconfig.shared.json'],
  ],
  ['lint and format (biome)', 'biome', ['check', '.']],
  [
    'deno check of the Deno entry and Deno test scripts',
    'deno',
    ['check', 'edge/deno/main.ts', 'test/deno/'],
  ],
  ['tests (vitest: unit, end-to-end, Deno, Chromium)', 'vitest', ['run']],
];

function runTests(extra) {
  ensureDebianPackages(debianPackages('test'), 'the tests');
  if (extra.length > 0) return run(bin('vitest'), ['run', ...extra]);
  for (const [title, tool, args] of testSteps) {
    say(`── ${title}: ${tool} ${args.join(' ')}`);
    const status = run(bin(tool), args);
    if (status !== 0) {
      say(`✗ ${title} failed (exit ${status})`);
      return status;
    }
  }
  say('✓ all checks passed');
  return 0;
}

const [mode, ...rest] = process.argv.slice(2);
ensureNpmDependencies();
// One process: node loads tsx as a hook (the tsx CLI would fork a second node), and the
// command runs in the folder npm was called from, so relative paths mean what the user meant.
const tsxHook = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const tsx = (args) =>
  run(process.execPath, ['--import', tsxHook, join(root, 'cli', 'rbee.ts'), ...args], {
    cwd: process.env.INIT_CWD ?? process.cwd(),
  });
switch (mode) {
  case 'start':
    ensureDebianPackages(debianPackages('start'), "the local agent's builds");
    // The edge serves the agent bundle to hives (GET /agent/rbee-agent.mjs, install.sh).
    if (!existsSync(join(root, 'dist', 'rbee-agent.mjs'))) {
      say('building the agent bundle (npm run build:agent)…');
      run(process.execPath, [join(root, 'scripts', 'build-agent.mjs'), '--no-sea']);
    }
    // ... and the admin CLI (GET /cli/rbee.mjs), so admins get it from the edge they use.
    ensureCliBundle(root, undefined, say);
    process.exitCode = tsx(['start', ...rest]);
    break;
  case 'test':
    process.exitCode = runTests(rest);
    break;
  case 'rbee':
    process.exitCode = tsx(rest);
    break;
  default:
    say(`unknown mode "${mode}": use start, test or rbee`);
    process.exitCode = 2;
}
