import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BuildError, runBuild } from '../../../agent/executor/index.ts';
import { FIXTURES } from './build-both.ts';
import { bgToken, processesWithEnv } from './process-scan.ts';
import { scratchPkgbuild } from './scratch-build.ts';

const backgroundFixture = () =>
  scratchPkgbuild(
    readFileSync(join(FIXTURES, 'background-child', 'PKGBUILD'), 'utf8').replace(
      /^(pkgname|pkgver|pkgrel|arch|license)=.*$/gm,
      '',
    ),
  );

/** Running, not a zombie waiting for an init that may never reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Running faked processes started in the foreground (the way the driver starts them). */
function fakedPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (cmdline.includes('faked') && cmdline.includes('--foreground') && isAlive(Number(name))) {
        pids.push(Number(name));
      }
    } catch {}
  }
  return pids;
}

/** The build wrote its children's pids (of its PID namespace): all three were started. */
function childrenStarted(dir: string): boolean {
  return ['child.pid', 'stubborn.pid', 'grandchild.pid'].every(
    (name) => Number(readFileSync(join(dir, 'src', name), 'utf8')) > 0,
  );
}

const tokenEnv = (token: string) => {
  const [name, value] = token.split('=') as [string, string];
  return { ...process.env, BG_SLEEP: '300', [name]: value };
};

async function failure(promise: Promise<unknown>): Promise<BuildError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BuildError);
  return error as BuildError;
}

describe('cancel, timeout and limits', () => {
  test('an AbortSignal stops the build and leaves none of its background children', async () => {
    const dir = backgroundFixture();
    const token = bgToken();
    const controller = new AbortController();
    const error = await failure(
      runBuild(dir, {
        env: tokenEnv(token),
        signal: controller.signal,
        graceMs: 300,
        onEvent: (e) => {
          if (e.type === 'line' && e.text === 'children started') controller.abort();
        },
      }),
    );
    expect(error.canceled).toBe(true);
    expect(error.timedOut).toBe(false);
    expect(error.step).toBe('build');
    expect(error.function).toBe('build');
    expect(error.message).toMatch(/^Build was canceled in build\(\)/);
    expect(error.lastLines).toEqual(['children started']);
    expect(childrenStarted(dir)).toBe(true);
    expect(processesWithEnv(token)).toEqual([]);
  });

  test('cancel during package() also ends the faked that fakeroot uses', async () => {
    const before = fakedPids();
    const dir = scratchPkgbuild('package() { echo packaging; sleep 300; }');
    const controller = new AbortController();
    const error = await failure(
      runBuild(dir, {
        signal: controller.signal,
        graceMs: 300,
        onEvent: (e) => {
          if (e.type === 'line' && e.text === 'packaging') {
            // The build's faked runs now; the cancel must take it down too.
            expect(fakedPids().filter((p) => !before.includes(p)).length).toBe(1);
            controller.abort();
          }
        },
      }),
    );
    expect(error.canceled).toBe(true);
    expect(error.step).toBe('package');
    expect(fakedPids().filter((p) => !before.includes(p))).toEqual([]);
  });

  // The timeout is sized so a loaded machine still reaches build(): the build sleeps for good.
  test('a build past its timeout is stopped and says so', async () => {
    const dir = backgroundFixture();
    const token = bgToken();
    const error = await failure(
      runBuild(dir, { env: tokenEnv(token), timeoutMs: 8000, graceMs: 300 }),
    );
    expect(error.timedOut).toBe(true);
    expect(error.canceled).toBe(false);
    expect(error.message).toMatch(/^Build timed out after 8000 milliseconds in build\(\)/);
    expect(error.durationMs).toBeGreaterThanOrEqual(8000);
    expect(childrenStarted(dir)).toBe(true);
    expect(processesWithEnv(token)).toEqual([]);
  }, 120_000);

  test('an already aborted signal fails before anything runs', async () => {
    const dir = scratchPkgbuild('build() { touch "$startdir/ran"; }\npackage() { :; }');
    const error = await failure(runBuild(dir, { signal: AbortSignal.abort() }));
    expect(error.canceled).toBe(true);
    expect(error.step).toBe('metadata');
  });

  // build() prints 100 lines of "x\n": 200 bytes of output in all.
  const twoHundredBytes = 'build() { for i in $(seq 100); do echo x; done; }\npackage() { :; }';

  test('output exactly at the cap passes', async () => {
    const dir = scratchPkgbuild(twoHundredBytes);
    await expect(runBuild(dir, { maxOutputBytes: 200 })).resolves.toMatchObject({
      pkgnames: ['rbee-scratch'],
    });
  });

  test('output just under the cap passes', async () => {
    const dir = scratchPkgbuild(twoHundredBytes);
    await expect(runBuild(dir, { maxOutputBytes: 201 })).resolves.toBeDefined();
  });

  test('output one byte over the cap fails loudly', async () => {
    const dir = scratchPkgbuild(twoHundredBytes);
    let delivered = 0;
    const error = await failure(
      runBuild(dir, {
        maxOutputBytes: 199,
        onEvent: (e) => {
          if (e.type === 'line') delivered++;
        },
      }),
    );
    expect(error.outputLimited).toBe(true);
    expect(error.message).toMatch(/^Build output exceeded the limit of 199 bytes in build\(\)/);
    expect(delivered).toBe(99);
  });

  test('a failure keeps the last 20 lines of output', async () => {
    const dir = scratchPkgbuild(
      'build() { for i in $(seq 30); do echo "err $i" >&2; done; exit 3; }\npackage() { :; }',
    );
    const error = await failure(runBuild(dir));
    expect(error.message.startsWith('build() failed with exit code 3')).toBe(true);
    expect(error.exitCode).toBe(3);
    expect(error.lastLines).toEqual(Array.from({ length: 20 }, (_, i) => `err ${i + 11}`));
    expect(error.message).toContain('\n  err 30');
  });

  test('a throwing event handler stops the build with that error as the cause', async () => {
    const dir = scratchPkgbuild('build() { echo boom; sleep 30; }\npackage() { :; }');
    const oops = new Error('handler broke');
    const error = await failure(
      runBuild(dir, {
        graceMs: 200,
        onEvent: (e) => {
          if (e.type === 'line') throw oops;
        },
      }),
    );
    expect(error.cause).toBe(oops);
    expect(error.message).toMatch(/^The build's event handler failed in build\(\): handler broke/);
  });

  test('a handler promise that rejects on a step event stops the build too', async () => {
    const dir = scratchPkgbuild('build() { touch "$startdir/build-ran"; }\npackage() { :; }');
    const oops = new Error('store unavailable');
    const error = await failure(
      runBuild(dir, {
        onEvent: (e) =>
          e.type === 'step' && e.step === 'checksums' ? Promise.reject(oops) : undefined,
      }),
    );
    expect(error.cause).toBe(oops);
    expect(error.step).toBe('checksums');
    expect(existsSync(join(dir, 'build-ran'))).toBe(false);
  });

  test('pkgver() printing an invalid version fails the pkgver step', async () => {
    const dir = scratchPkgbuild("pkgver() { echo 'bad version'; }\npackage() { :; }");
    const error = await failure(runBuild(dir));
    expect(error.step).toBe('pkgver');
    expect(error.message).toMatch(/^pkgver\(\) generated an invalid version: bad version/);
  });

  test('a PKGBUILD that does not source fails the metadata step', async () => {
    const dir = scratchPkgbuild('build() {');
    const error = await failure(runBuild(dir));
    expect(error.step).toBe('metadata');
    expect(error.message).toMatch(/^Failed to source PKGBUILD/);
  });

  test('a missing local source is fetched from sourceBase', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/workers/w1/files/extra.txt') res.end('from the catalog\n');
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workers/w1/files/`;
    try {
      const dir = scratchPkgbuild(
        "source=('extra.txt')\nsha256sums=('SKIP')\npackage() { install -Dm644 extra.txt \"$pkgdir/extra.txt\"; }",
      );
      const result = await runBuild(dir, { sourceBase: base });
      expect(readFileSync(join(result.pkgdirs[0]!, 'extra.txt'), 'utf8')).toBe(
        'from the catalog\n',
      );
      const missing = scratchPkgbuild(
        "source=('absent.txt')\nsha256sums=('SKIP')\npackage() { :; }",
      );
      const error = await failure(runBuild(missing, { sourceBase: base }));
      expect(error.step).toBe('sources');
      expect(error.message).toMatch(/^Failure while downloading .*absent\.txt: HTTP 404/);
      const nobase = scratchPkgbuild(
        "source=('absent.txt')\nsha256sums=('SKIP')\npackage() { :; }",
      );
      const error2 = await failure(runBuild(nobase));
      expect(error2.message).toMatch(
        /^absent\.txt was not found in the build directory and is not a URL\./,
      );
    } finally {
      server.close();
    }
  });
});
