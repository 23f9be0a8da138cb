import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, test } from 'vitest';
import { LogStreamer } from '../../../agent/logs/log-streamer.ts';
import { JobSpool } from '../../../agent/logs/spool.ts';
import type { LogEntry } from '../../../shared/protocol/index.ts';
import { tempDir } from '../../support/edge-process.ts';

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});

/** A real tmpfs of `size` in a temp folder (the test runs as root). */
function smallDisk(size: string) {
  const dir = tempDir('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/**
 * A "build" in bash that fills the disk the spool is on, prints lines while it is full, waits
 * for a word on stdin, frees the space itself and prints more lines.
 */
const BUILD = `
set -u
dd if=/dev/zero of="$DISK/fill" bs=4k 2>/dev/null || true
dd if=/dev/zero of="$DISK/fill2" bs=1 2>/dev/null || true
echo "disk full: $(df --output=avail "$DISK" | tail -1 | tr -d " ") KiB free"
for i in $(seq 1 300); do echo "full $i: while the disk has no room at all"; done
read -r go
rm -f "$DISK/fill" "$DISK/fill2"
for i in $(seq 1 300); do echo "after $i: the disk has room again"; done
`;

describe('the spool on a full disk (a real 256 KiB tmpfs)', () => {
  test('a build fills the disk and frees it again: every line reaches the edge once, and the spool reads back whole', async () => {
    const disk = smallDisk('256k');
    const dir = join(disk, 'spool', 'job_full');
    const waits: boolean[] = [];
    const spool = new JobSpool(dir, {
      segmentBytes: 4096,
      onFull: (_dir, waiting) => {
        waits.push(waiting);
        // The spool is waiting for space: now the build may free it.
        if (waiting) build.stdin.write('go\n');
      },
    });
    const received: LogEntry[] = [];
    const logs = new LogStreamer({
      job: 'job_full',
      persist: (batch) => spool.append(batch),
      onAcked: (next) => void spool.trim(next),
      windowBytes: 16 * 1024,
    });
    logs.resume((frame) => {
      const entries = JSON.parse(frame.encoded.slice(frame.encoded.indexOf('"entries":') + 10, -1));
      received.push(...entries);
      queueMicrotask(() => logs.ack(frame.first + frame.count));
      return true;
    }, 0);
    const build = spawn('bash', ['-c', BUILD], { env: { PATH: process.env.PATH, DISK: disk } });
    const exited = new Promise((resolve) => build.once('exit', resolve));
    for await (const line of createInterface({ input: build.stdout })) {
      await logs.append({ t: Date.now(), k: 'o', x: line });
    }
    expect(await exited).toBe(0);
    await logs.flush();
    logs.close();

    // The path under test ran: the spool waited for space, then wrote again.
    expect(waits).toEqual([true, false]);
    const texts = received.map((e) => (e.k === 'step' ? '' : e.x));
    expect(texts[0]).toBe('disk full: 0 KiB free');
    const full = texts.filter((t) => t.startsWith('full '));
    const after = texts.filter((t) => t.startsWith('after '));
    expect(full).toEqual(
      Array.from({ length: 300 }, (_, i) => `full ${i + 1}: while the disk has no room at all`),
    );
    expect(after).toEqual(
      Array.from({ length: 300 }, (_, i) => `after ${i + 1}: the disk has room again`),
    );
    expect(received.map((e) => e.s)).toEqual(Array.from({ length: 601 }, (_, i) => i));

    // What is on disk reads back whole: no torn line cut the spool short.
    await spool.close();
    const again = new JobSpool(dir);
    const contents = await again.load();
    expect(contents.from + contents.entries.length).toBe(601);
    expect(contents.entries.map((e) => e.s)).toEqual(
      Array.from({ length: contents.entries.length }, (_, i) => contents.from + i),
    );
  }, 60_000);
});
