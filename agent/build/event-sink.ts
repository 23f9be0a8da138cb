import type { BuildEventHandler, BuildStep, OutputStream, StepEvent } from './build-event.ts';

const TAIL_LINES = 20;
/** The ring keeps the last 32 lines (a power of two: a mask instead of a modulo per line). */
const RING = 32;

type StepFields = Omit<StepEvent, 'type' | 'seq' | 'ts' | 'step' | 'phase'>;

/**
 * Numbers events and hands them to the caller's handler, counts output bytes against the
 * build's cap, and keeps the last lines for the error message. One per build: every process
 * of the build writes through it, so `seq` is gap-free across them.
 */
export class EventSink {
  private seq = 0;
  private bytes = 0;
  private readonly ring: string[] = new Array(RING).fill('');
  private ringAt = 0;
  /** Lines read together share one timestamp: Date.now() per line would cost a third of the line rate. */
  private now = Date.now();
  /** Set once the output cap is exceeded; later lines are dropped. */
  limited = false;

  constructor(
    private readonly handler: BuildEventHandler | undefined,
    private readonly maxOutputBytes: number,
    private readonly onLimit: () => void,
  ) {}

  /** Takes the time for the lines of the next read. */
  stamp(): void {
    this.now = Date.now();
  }

  /** `bytes` is what the line took in the pipe, newline included. */
  line(stream: OutputStream, text: string, cut: boolean, bytes: number): Promise<void> | undefined {
    if (this.limited) return;
    this.bytes += bytes;
    if (this.bytes > this.maxOutputBytes) {
      this.limited = true;
      this.onLimit();
      return;
    }
    this.ring[this.ringAt++ & (RING - 1)] = text;
    if (this.handler === undefined) return;
    const event = cut
      ? { type: 'line' as const, seq: ++this.seq, ts: this.now, stream, text, cut: true as const }
      : { type: 'line' as const, seq: ++this.seq, ts: this.now, stream, text };
    return thenable(this.handler(event));
  }

  step(step: BuildStep, phase: 'start' | 'end', fields: StepFields = {}): void | Promise<void> {
    if (this.handler === undefined) return;
    const event: StepEvent = {
      type: 'step',
      seq: ++this.seq,
      ts: Date.now(),
      step,
      phase,
      ...fields,
    };
    return thenable(this.handler(event));
  }

  /** The last lines of output, oldest first. */
  lastLines(): string[] {
    const count = Math.min(this.ringAt, TAIL_LINES);
    const lines: string[] = [];
    for (let i = this.ringAt - count; i < this.ringAt; i++) lines.push(this.ring[i & (RING - 1)]!);
    return lines;
  }

  get outputBytes(): number {
    return this.bytes;
  }
}

function thenable(value: unknown): Promise<void> | undefined {
  return value !== undefined &&
    value !== null &&
    typeof (value as Promise<void>).then === 'function'
    ? (value as Promise<void>)
    : undefined;
}
