import type { Readable } from 'node:stream';
import type { OutputStream } from '../events/build-event.ts';
import type { EventSink } from '../events/event-sink.ts';
import { LineSplitter } from './line-splitter.ts';

/** Bytes queued per pipe before reading from it pauses. */
const HIGH_WATER = 1 << 20;

/** Called once per step marker, after every line written before it on both pipes. */
export type MarkerHandler = (payload: string) => void | Promise<void>;

export type PumpOptions = {
  /** `\0rbee:<nonce>:`; markers are only looked for when set. */
  markerPrefix?: Buffer;
  onMarker?: MarkerHandler;
};

type Pipe = {
  name: OutputStream;
  stream: Readable;
  splitter: LineSplitter;
  ended: boolean;
  flushed: boolean;
  paused: boolean;
  /** The marker this pipe reached and waits at until the other pipe reaches it too. */
  blocked: string | null;
};

/**
 * Reads a process's stdout and stderr into line events, in the order chunks arrive, and
 * resolves when both pipes are closed and every line is delivered.
 *
 * Backpressure: when the handler returns a promise, nothing more is delivered until it
 * settles, and a pipe whose queue passes 1 MiB is paused, which stops the writer.
 *
 * Step markers are written by the driver to both pipes. A pipe that reaches one waits there
 * until the other pipe reaches it too (or closes), so a step event comes after every line
 * the step printed on either pipe and before any line of the next step.
 */
export function pumpOutput(
  stdout: Readable,
  stderr: Readable,
  sink: EventSink,
  options: PumpOptions = {},
): Promise<void> {
  let arrival = 0;
  let wake: (() => void) | null = null;
  let discarding = false;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const pipes: Pipe[] = (
    [
      ['stdout', stdout],
      ['stderr', stderr],
    ] as const
  ).map(([name, stream]) => {
    const pipe: Pipe = {
      name,
      stream,
      splitter: new LineSplitter(
        (text, cut, bytes) => sink.line(name, text, cut, bytes),
        options.markerPrefix,
      ),
      ended: false,
      flushed: false,
      paused: false,
      blocked: null,
    };
    stream.on('data', (chunk: Buffer) => {
      if (discarding) return;
      pipe.splitter.push(chunk, ++arrival);
      if (pipe.splitter.queuedBytes > HIGH_WATER && !pipe.paused) {
        pipe.paused = true;
        stream.pause();
      }
      notify();
    });
    const onEnd = () => {
      pipe.ended = true;
      notify();
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
    return pipe;
  });

  const done = (p: Pipe) => p.ended && p.flushed && !p.splitter.hasWork();

  /** Emits a marker once both pipes reached it, or one reached it and the other is closed. */
  const release = async (): Promise<void> => {
    const [a, b] = pipes as [Pipe, Pipe];
    let payload: string | null = null;
    if (a.blocked !== null && b.blocked !== null) {
      if (a.blocked === b.blocked) {
        payload = a.blocked;
        a.blocked = b.blocked = null;
      } else {
        // Out of step (a child wrote a marker-like line): let the older marker through.
        const first = markerId(a.blocked) <= markerId(b.blocked) ? a : b;
        payload = first.blocked;
        first.blocked = null;
      }
    } else if (a.blocked !== null && done(b)) {
      payload = a.blocked;
      a.blocked = null;
    } else if (b.blocked !== null && done(a)) {
      payload = b.blocked;
      b.blocked = null;
    }
    if (payload !== null && options.onMarker) await options.onMarker(payload);
  };

  const pick = (): Pipe | undefined => {
    let best: Pipe | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const p of pipes) {
      if (p.blocked !== null) continue;
      if (p.splitter.hasWork()) {
        const at = p.splitter.headArrival();
        if (best === undefined || at < bestAt) {
          best = p;
          bestAt = at;
        }
      } else if (p.ended && !p.flushed && best === undefined) best = p;
    }
    return best;
  };

  const loop = async (): Promise<void> => {
    for (;;) {
      const pipe = pick();
      if (pipe === undefined) {
        if (pipes.every(done)) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      let outcome: ReturnType<LineSplitter['run']>;
      sink.stamp();
      if (pipe.splitter.hasWork()) outcome = pipe.splitter.run();
      else {
        pipe.flushed = true;
        outcome = pipe.splitter.end();
      }
      if (outcome === 'marker') {
        pipe.blocked = pipe.splitter.marker;
        await release();
      } else if (outcome !== undefined) await outcome;
      if (done(pipe)) await release();
      if (pipe.paused && pipe.splitter.queuedBytes <= HIGH_WATER / 2) {
        pipe.paused = false;
        pipe.stream.resume();
      }
    }
  };

  return loop().catch((error: unknown) => {
    // The handler failed: stop delivering, but keep the pipes flowing so the process can end.
    discarding = true;
    for (const p of pipes) p.stream.resume();
    throw error;
  });
}

function markerId(payload: string): number {
  return Number.parseInt(payload, 10);
}
