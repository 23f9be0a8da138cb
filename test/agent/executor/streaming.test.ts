import { describe, expect, test } from 'vitest';
import {
  type BuildEvent,
  type LineEvent,
  MAX_LINE_BYTES,
  runBuild,
  type StepEvent,
} from '../../../agent/executor/index.ts';
import { scratchPkgbuild } from './scratch-build.ts';

const lines = (events: BuildEvent[]) => events.filter((e): e is LineEvent => e.type === 'line');
const stepIndex = (events: BuildEvent[], step: string, phase: 'start' | 'end') =>
  events.findIndex((e) => e.type === 'step' && e.step === step && e.phase === phase);

async function collect(dir: string, options: Parameters<typeof runBuild>[1] = {}) {
  const events: BuildEvent[] = [];
  const result = await runBuild(dir, { onEvent: (e) => void events.push(e), ...options });
  return { events, result };
}

describe('output streaming', () => {
  test('a build printing 1,000,000 lines delivers every line, in order', async () => {
    const dir = scratchPkgbuild('build() { seq 1000000; }\npackage() { :; }');
    let count = 0;
    let outOfOrder = 0;
    let lastSeq = 0;
    await runBuild(dir, {
      onEvent: (e) => {
        if (e.seq !== lastSeq + 1) outOfOrder++;
        lastSeq = e.seq;
        if (e.type === 'line') {
          count++;
          if (e.text !== String(count) || e.stream !== 'stdout') outOfOrder++;
        }
      },
    });
    expect(count).toBe(1_000_000);
    expect(outOfOrder).toBe(0);
  });

  test('interleaved stdout and stderr keep every line whole and in order per stream', async () => {
    const dir = scratchPkgbuild(
      [
        'build() {',
        "  seq -f 'out %g ooooooooooooooooooooooooooooooooooooooooooooooooooooooooo' 100000 &",
        "  seq -f 'err %g eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' 100000 >&2 &",
        '  wait',
        '}',
        'package() { :; }',
      ].join('\n'),
    );
    const { events } = await collect(dir);
    const next = { stdout: 1, stderr: 1 };
    let broken = 0;
    for (const e of lines(events)) {
      const expected =
        e.stream === 'stdout'
          ? `out ${next.stdout++} ooooooooooooooooooooooooooooooooooooooooooooooooooooooooo`
          : `err ${next.stderr++} eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee`;
      if (e.text !== expected) broken++;
    }
    expect(broken).toBe(0);
    expect(next).toEqual({ stdout: 100001, stderr: 100001 });
    const start = stepIndex(events, 'build', 'start');
    const end = stepIndex(events, 'build', 'end');
    expect(events.slice(start + 1, end).every((e) => e.type === 'line')).toBe(true);
    expect(end - start - 1).toBe(200000);
  });

  test('a last line without a newline is delivered before its step ends', async () => {
    const dir = scratchPkgbuild(
      [
        "printf 'sourced without newline'",
        "build() { printf 'build tail'; printf 'err tail' >&2; }",
        "package() { printf 'package tail'; }",
      ].join('\n'),
    );
    const { events } = await collect(dir);
    const texts = lines(events).map((e) => [e.stream, e.text]);
    expect(texts).toContainEqual(['stdout', 'sourced without newline']);
    for (const [step, stream, text] of [
      ['build', 'stdout', 'build tail'],
      ['build', 'stderr', 'err tail'],
      ['package', 'stdout', 'package tail'],
    ] as const) {
      const at = events.findIndex(
        (e) => e.type === 'line' && e.text === text && e.stream === stream,
      );
      expect(at, text).toBeGreaterThan(stepIndex(events, step, 'start'));
      expect(at, text).toBeLessThan(stepIndex(events, step, 'end'));
    }
  });

  test('lines longer than 64 KiB arrive in pieces marked cut, nothing lost', async () => {
    const dir = scratchPkgbuild(
      [
        'build() {',
        "  head -c 200000 /dev/zero | tr '\\0' a; echo",
        `  head -c ${MAX_LINE_BYTES} /dev/zero | tr '\\0' b; echo`,
        "  for i in $(seq 40000); do printf 'é'; done; echo",
        '  echo short',
        '}',
        'package() { :; }',
      ].join('\n'),
    );
    const { events } = await collect(dir);
    const got = lines(events);
    const join = (from: number, to: number) =>
      got
        .slice(from, to)
        .map((e) => e.text)
        .join('');
    expect(got.slice(0, 4).map((e) => [Buffer.byteLength(e.text), e.cut ?? false])).toEqual([
      [65536, true],
      [65536, true],
      [65536, true],
      [3392, false],
    ]);
    expect(join(0, 4)).toBe('a'.repeat(200000));
    expect(got[4]).toMatchObject({ text: 'b'.repeat(MAX_LINE_BYTES) });
    expect(got[4]?.cut).toBeUndefined();
    // 80000 bytes of two-byte characters: the cut falls on a character boundary.
    expect(got[5]?.cut).toBe(true);
    expect(Buffer.byteLength(got[5]!.text)).toBe(65536);
    expect(got[6]?.cut).toBeUndefined();
    expect(join(5, 7)).toBe('é'.repeat(40000));
    expect(got[7]?.text).toBe('short');
  });

  test('ANSI colours and carriage returns are kept as they are', async () => {
    const dir = scratchPkgbuild(
      "build() { printf '\\e[1;31mred\\e[0m plain\\n'; printf 'crlf\\r\\n'; }\npackage() { :; }",
    );
    const { events } = await collect(dir);
    expect(lines(events).map((e) => e.text)).toEqual(['\x1b[1;31mred\x1b[0m plain', 'crlf\r']);
  });

  test('a promise from the handler pauses delivery until it settles', async () => {
    const dir = scratchPkgbuild('build() { seq 20000; seq 20000 >&2; }\npackage() { :; }');
    let pending = false;
    let overlapped = 0;
    let count = 0;
    await runBuild(dir, {
      onEvent: (e) => {
        if (pending) overlapped++;
        if (e.type !== 'line') return;
        count++;
        if (count % 2000 !== 0) return;
        pending = true;
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            pending = false;
            resolve();
          }, 5),
        );
      },
    });
    expect(overlapped).toBe(0);
    expect(count).toBe(40000);
  });

  test('PKGBUILD functions run as the unprivileged build user, never root', async () => {
    const dir = scratchPkgbuild(
      [
        'build() { id -u; id -g; }',
        // package() runs under fakeroot, as in makepkg: root to itself, nobody to the kernel.
        "package() { id -u; awk '/^Uid:/ { print $2 }' /proc/self/status; }",
      ].join('\n'),
    );
    const { events } = await collect(dir);
    expect(lines(events).map((e) => e.text)).toEqual(['65534', '65534', '0', '65534']);
  });

  test('without fakeroot, package() runs as the build user plainly', async () => {
    const dir = scratchPkgbuild('package() { id -u; }');
    const { events } = await collect(dir, { fakeroot: false });
    expect(lines(events).map((e) => e.text)).toEqual(['65534']);
  });

  test('step events carry the function and, for tidy, the operations run', async () => {
    const dir = scratchPkgbuild(
      'prepare() { :; }\nbuild() { :; }\ncheck() { :; }\npackage() { :; }',
    );
    const { events } = await collect(dir);
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps.map((s) => `${s.step}:${s.phase}:${s.function ?? ''}`)).toEqual([
      'metadata:start:',
      'metadata:end:',
      'sources:start:',
      'sources:end:',
      'checksums:start:',
      'checksums:end:',
      'extract:start:',
      'extract:end:',
      'prepare:start:prepare',
      'prepare:end:prepare',
      'build:start:build',
      'build:end:build',
      'check:start:check',
      'check:end:check',
      'package:start:package',
      'package:end:package',
      'tidy:start:',
      'tidy:end:',
    ]);
    expect(steps.at(-1)).toMatchObject({ ok: true, operations: ['purge', 'strip', 'zipman'] });
  });

  test("lint_package's warnings come with the tidy step", async () => {
    const dir = scratchPkgbuild(
      [
        "backup=('etc/missing.conf')",
        'package() { mkdir -p "$pkgdir/usr/share"; echo "$srcdir" > "$pkgdir/usr/share/where"; }',
      ].join('\n'),
    );
    const { events } = await collect(dir);
    const tidy = events.find(
      (e): e is StepEvent => e.type === 'step' && e.step === 'tidy' && e.phase === 'end',
    );
    expect(tidy?.warnings).toEqual([
      'Package contains reference to $srcdir: usr/share/where',
      'backup entry file not in package : etc/missing.conf',
    ]);
  });

  test('noCheck skips check()', async () => {
    const dir = scratchPkgbuild('check() { echo checking; }\npackage() { :; }');
    const { events } = await collect(dir, { noCheck: true });
    expect(stepIndex(events, 'check', 'start')).toBe(-1);
    expect(lines(events)).toEqual([]);
  });
});
