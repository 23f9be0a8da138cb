import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type LogFrame, LogStreamer } from '../../../agent/logs/log-streamer.ts';
import {
  decodeAgentMessage,
  type LogBatch,
  type LogEntry,
} from '../../../shared/protocol/index.ts';

/** A spool in memory that records what was written, in order. */
function memorySpool() {
  const written: LogEntry[] = [];
  return { written, persist: async (batch: LogBatch) => void written.push(...entriesOf(batch)) };
}

/** A batch's entries, checked against its numbering. */
function entriesOf(batch: LogBatch): LogEntry[] {
  const entries = JSON.parse(batch.text) as LogEntry[];
  expect(entries.map((e) => e.s)).toEqual(entries.map((_, i) => batch.first + i));
  expect(entries).toHaveLength(batch.count);
  return entries;
}

type Decoded = { type: 'logs'; job: string; entries: LogEntry[] };

/** A frame read back through the protocol's decoder, checked against the seqs it claims. */
function decode(frame: LogFrame): Decoded {
  const message = decodeAgentMessage(frame.encoded);
  if (message.type !== 'logs') throw new Error(`not a logs frame: ${frame.encoded}`);
  expect(message.entries[0]?.s).toBe(frame.first);
  expect(message.entries).toHaveLength(frame.count);
  return { type: 'logs', job: message.job, entries: message.entries };
}

/** Collects frames (decoded); `next()` resolves with the next frame sent. */
function collector() {
  const frames: Decoded[] = [];
  let waiting: ((frame: Decoded) => void) | undefined;
  const send = (sent: LogFrame) => {
    const frame = decode(sent);
    frames.push(frame);
    waiting?.(frame);
    waiting = undefined;
    return true;
  };
  const next = () => new Promise<Decoded>((resolve) => (waiting = resolve));
  return { frames, send, next };
}

const line = (x: string) => ({ t: 1, k: 'o' as const, x });
const seqs = (frames: Decoded[]) => frames.map((f) => f.entries.map((e) => e.s));

describe('LogStreamer', () => {
  test('numbers entries per job from 0, lines and steps sharing the numbering', async () => {
    const spool = memorySpool();
    const logs = new LogStreamer({ job: 'job_aaaaaaaa', persist: spool.persist, flushDelayMs: 1 });
    logs.append({ t: 1, k: 'step', step: 'build', phase: 'start' });
    logs.append(line('a'));
    logs.append({ t: 2, k: 'e', x: 'b', c: 1 });
    await logs.flush();
    expect(spool.written).toEqual([
      { s: 0, t: 1, k: 'step', step: 'build', phase: 'start' },
      { s: 1, t: 1, k: 'o', x: 'a' },
      { s: 2, t: 2, k: 'e', x: 'b', c: 1 },
    ]);
    expect(logs.nextSeq).toBe(3);
  });

  test('batches by delay: entries appended together go out in one frame, after the delay', async () => {
    const out = collector();
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: memorySpool().persist,
      flushDelayMs: 20,
    });
    logs.resume(out.send, 0);
    const frame = out.next();
    logs.append(line('a'));
    logs.append(line('b'));
    logs.append(line('c'));
    expect(out.frames).toEqual([]); // nothing goes out synchronously
    expect(await frame).toEqual({
      type: 'logs',
      job: 'job_aaaaaaaa',
      entries: [
        { s: 0, t: 1, k: 'o', x: 'a' },
        { s: 1, t: 1, k: 'o', x: 'b' },
        { s: 2, t: 1, k: 'o', x: 'c' },
      ],
    });
    expect(out.frames).toHaveLength(1);
  });

  test('batches by count: frames hold at most maxFrameEntries, consecutive', async () => {
    const out = collector();
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: memorySpool().persist,
      maxFrameEntries: 4,
      flushDelayMs: 60_000, // only the size limit can trigger the write
    });
    logs.resume(out.send, 0);
    const sent = out.next();
    for (let i = 0; i < 10; i++) logs.append(line(`l${i}`));
    await sent;
    await logs.flush();
    expect(seqs(out.frames)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  test('batches by bytes: frames stay under maxFrameBytes; one bigger entry goes alone', async () => {
    const out = collector();
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: memorySpool().persist,
      // A 60-character line counts 132 bytes (its text plus a 72-byte bound for the rest).
      maxFrameBytes: 300,
      flushDelayMs: 60_000,
    });
    logs.resume(out.send, 0);
    const sent = out.next();
    logs.append(line('x'.repeat(60)));
    logs.append(line('x'.repeat(60)));
    logs.append(line('x'.repeat(500)));
    logs.append(line('x'.repeat(60)));
    await sent;
    await logs.flush();
    expect(seqs(out.frames)).toEqual([[0, 1], [2], [3]]);
    for (const frame of out.frames.filter((f) => f.entries.length > 1)) {
      expect(JSON.stringify(frame.entries).length).toBeLessThanOrEqual(300);
    }
  });

  test('entries reach the spool before they are sent', async () => {
    const spool = memorySpool();
    const order: string[] = [];
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: async (batch) => {
        await spool.persist(batch);
        order.push(
          `persist ${entriesOf(batch)
            .map((e) => e.s)
            .join(',')}`,
        );
      },
      flushDelayMs: 1,
    });
    logs.resume((sent) => {
      const frame = decode(sent);
      order.push(`send ${frame.entries.map((e) => e.s).join(',')}`);
      for (const e of frame.entries) expect(spool.written).toContainEqual(e);
      return true;
    }, 0);
    logs.append(line('a'));
    logs.append(line('b'));
    await logs.flush();
    logs.append(line('c'));
    await logs.flush();
    expect(order).toEqual(['persist 0,1', 'send 0,1', 'persist 2', 'send 2']);
  });

  test('window full → append returns a promise that waits; acks resume it; nothing dropped', async () => {
    const out = collector();
    const spool = memorySpool();
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: spool.persist,
      windowBytes: 200, // an 8-character line counts 80 bytes (text + a 72-byte bound)
      flushDelayMs: 1,
    });
    logs.resume(out.send, 0);
    expect(logs.append(line('aaaaaaaa'))).toBeUndefined();
    expect(logs.append(line('bbbbbbbb'))).toBeUndefined();
    const paused = logs.append(line('c'.repeat(68))); // 300 bytes held: over the window
    expect(paused).toBeInstanceOf(Promise);
    let resumed = false;
    void paused!.then(() => (resumed = true));
    await logs.flush();
    expect(resumed).toBe(false); // written and sent, but not acknowledged: still waiting
    expect(seqs(out.frames).flat()).toEqual([0, 1, 2]);

    logs.ack(1); // frees 80 bytes: 220 still held, still over
    await Promise.resolve();
    expect(resumed).toBe(false);
    logs.ack(3);
    await paused;
    expect(resumed).toBe(true);
    expect(logs.unackedBytes).toBe(0);
    expect(logs.append(line('dddddddd'))).toBeUndefined();
    await logs.flush();
    expect(spool.written.map((e) => e.s)).toEqual([0, 1, 2, 3]);
  });

  test("offline: entries are held and spooled; resume sends from the edge's next seq", async () => {
    const spool = memorySpool();
    const logs = new LogStreamer({ job: 'job_aaaaaaaa', persist: spool.persist, flushDelayMs: 1 });
    for (let i = 0; i < 6; i++) logs.append(line(`l${i}`));
    await logs.flush();
    expect(spool.written).toHaveLength(6);

    const out = collector();
    logs.resume(out.send, 4); // the edge stored 0..3 from an earlier session
    expect(seqs(out.frames)).toEqual([[4, 5]]);
    expect(logs.ackedSeq).toBe(4);
  });

  test('a send that fails (socket gone) stops sending; the next resume sends again', async () => {
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: memorySpool().persist,
      flushDelayMs: 1,
    });
    const tries: number[][] = [];
    logs.resume((frame) => {
      tries.push(decode(frame).entries.map((e) => e.s));
      return false;
    }, 0);
    logs.append(line('a'));
    await logs.flush();
    logs.append(line('b'));
    await logs.flush();
    expect(tries).toEqual([[0]]);
    const out = collector();
    logs.resume(out.send, 0);
    expect(seqs(out.frames).flat()).toEqual([0, 1]);
  });

  test('after a restart it holds the spooled entries and continues their numbering', async () => {
    const retained: LogEntry[] = [
      { s: 5, t: 1, k: 'o', x: 'five' },
      { s: 6, t: 1, k: 'o', x: 'six' },
    ];
    const spool = memorySpool();
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: spool.persist,
      from: 5,
      retained,
      flushDelayMs: 1,
    });
    expect(logs.nextSeq).toBe(7);
    expect(logs.ackedSeq).toBe(5);
    const out = collector();
    logs.resume(out.send, 6);
    logs.append(line('seven'));
    await logs.flush();
    expect(out.frames.flatMap((f) => f.entries)).toEqual([
      { s: 6, t: 1, k: 'o', x: 'six' },
      { s: 7, t: 1, k: 'o', x: 'seven' },
    ]);
    expect(spool.written).toEqual([{ s: 7, t: 1, k: 'o', x: 'seven' }]);
  });

  test('stale and out-of-range acks change nothing they should not', async () => {
    const acked: number[] = [];
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: memorySpool().persist,
      onAcked: (n) => acked.push(n),
      flushDelayMs: 1,
    });
    for (let i = 0; i < 3; i++) logs.append(line(`${i}`));
    logs.ack(2); // not yet persisted: nothing can be acknowledged
    expect(logs.ackedSeq).toBe(0);
    await logs.flush();
    logs.ack(2);
    logs.ack(1);
    logs.ack(99); // more than was produced: clamps to what exists
    expect(acked).toEqual([2, 3]);
    expect(logs.ackedSeq).toBe(3);
    expect(logs.unackedBytes).toBe(0);
  });

  test('a failing spool write is reported and retried; entries stay held', async () => {
    let fail = true;
    const written: number[] = [];
    const errors: string[] = [];
    const logs = new LogStreamer({
      job: 'job_aaaaaaaa',
      persist: async (batch) => {
        if (fail) throw new Error('ENOSPC: no space left on device');
        written.push(...entriesOf(batch).map((e) => e.s));
      },
      onError: (error) => errors.push(error.message),
      flushDelayMs: 1,
    });
    logs.append(line('a'));
    await logs.flush();
    expect(errors).toEqual(['ENOSPC: no space left on device']);
    fail = false;
    logs.append(line('b'));
    await logs.flush();
    expect(written).toEqual([0, 1]);
  });

  test('property: over any mix of appends, acks, drops and reconnects, the edge gets every entry once, in order', async () => {
    type Op =
      | { op: 'append'; n: number }
      | { op: 'deliver'; n: number }
      | { op: 'ack' }
      | { op: 'drop' }
      | { op: 'reconnect' }
      | { op: 'flush' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ op: fc.constant('deliver' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.constant({ op: 'ack' as const }),
      fc.constant({ op: 'drop' as const }),
      fc.constant({ op: 'reconnect' as const }),
      fc.constant({ op: 'flush' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const stored: LogEntry[] = []; // the edge's durable log
        let wire: LogFrame[] = []; // frames in flight on the current socket
        let online = false;
        const logs = new LogStreamer({
          job: 'job_aaaaaaaa',
          persist: memorySpool().persist,
          maxFrameEntries: 7,
          windowBytes: 600,
          flushDelayMs: 1,
        });
        const send = (frame: LogFrame) => {
          if (!online) return false;
          wire.push(frame);
          return true;
        };
        const deliver = (sent: LogFrame) => {
          const frame = decode(sent);
          const first = frame.entries[0]!.s;
          expect(frame.entries.map((e) => e.s)).toEqual(frame.entries.map((_, i) => first + i));
          expect(first).toBeLessThanOrEqual(stored.length); // no hole
          for (const e of frame.entries) if (e.s === stored.length) stored.push(e);
        };
        let produced = 0;
        for (const step of ops) {
          if (step.op === 'append') {
            for (let i = 0; i < step.n; i++) void logs.append(line(`line ${produced++}`));
          } else if (step.op === 'deliver') {
            for (const frame of wire.splice(0, step.n)) deliver(frame);
          } else if (step.op === 'ack') {
            if (online) logs.ack(stored.length);
          } else if (step.op === 'drop') {
            online = false;
            wire = [];
            logs.pause();
          } else if (step.op === 'reconnect') {
            online = false;
            wire = [];
            logs.pause();
            online = true;
            logs.resume(send, stored.length);
          } else {
            await logs.flush();
          }
        }
        // Settle: a clean session that delivers and acks everything.
        await logs.flush();
        online = true;
        wire = [];
        logs.resume(send, stored.length);
        while (wire.length > 0) deliver(wire.shift()!);
        logs.ack(stored.length);
        expect(stored.map((e) => (e.k === 'step' ? e.step : e.x))).toEqual(
          Array.from({ length: produced }, (_, i) => `line ${i}`),
        );
        expect(stored.map((e) => e.s)).toEqual(Array.from({ length: produced }, (_, i) => i));
        expect(logs.unackedBytes).toBe(0);
        logs.close();
      }),
      { numRuns: 200 },
    );
  });
});

describe('the size bound of an entry', () => {
  test('never undercounts the JSON of a line, whatever its characters', () => {
    const out = collector();
    const texts = [
      'plain',
      'with "quotes" and \\ slashes',
      '\u001b[31mred\u001b[0m',
      'é'.repeat(50),
      '😀'.repeat(20),
      '\t\u0000'.repeat(30),
    ];
    for (const text of texts) {
      const logs = new LogStreamer({
        job: 'job_aaaaaaaa',
        persist: memorySpool().persist,
        flushDelayMs: 60_000,
      });
      logs.resume(out.send, 0);
      logs.append({ t: 1_795_786_865_494, k: 'e', x: text, c: 1 });
      const exact = Buffer.byteLength(
        `${JSON.stringify({ s: 0, t: 1_795_786_865_494, k: 'e', x: text, c: 1 })}\n`,
      );
      expect(logs.unackedBytes).toBeGreaterThanOrEqual(exact);
      logs.close();
    }
  });
});
