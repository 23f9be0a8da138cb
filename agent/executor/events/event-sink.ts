import type {
  BuildEvent,
  BuildEventHandler,
  BuildStep,
  OutputStream,
  StepEvent,
} from './build-event.ts';

const TAIL_LINES = 20;
/** The ring keeps the last 32 lines (a power of two: a mask instead of a modulo per line). */
const RING = 32;

type StepFields = Omit<StepEvent, 'type' | 'seq' | 'ts' | 'step' | 'phase'>;

/** What the sink reports to the build: the output cap was passed, or the handler failed. */
export type SinkTrouble = {
  onLimit(): void;
  onHandlerError(error: unknown): void;
};

/**
 * Numbers events and hands them to the caller's handler, counts output bytes against the
 * build's cap, and keeps the last lines for the error message. One per build: every process
 * of the build writes through it, so `seq` is gap-free across them. A handler that throws or
 * rejects gets no more events and stops the build.
 */
export class EventSink {
  private seq = 0;
  private bytes = 0;
  private readonly ring: string[] = new Array(RING).fill('');
  private ringAt = 0;
  /** Lines read together share one timestamp: Date.now() per line costs a third of the rate. */
  private now = Date.now();
  private failed = false;
  /** Set once the output cap is exceeded; later lines are dropped. */
  limited = false;

  constructor(
    private readonly handler: BuildEventHandler | undefined,
    private readonly maxOutputBytes: number,
    private readonly trouble: SinkTrouble,
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
      this.trouble.onLimit();
      return;
    }
    this.ring[this.ringAt++ & (RING - 1)] = text;
    if (this.handler === undefined || this.failed) return;
    return this.deliver(
      cut
        ? { type: 'line', seq: ++this.seq, ts: this.now, stream, text, cut: true }
        : { type: 'line', seq: ++this.seq, ts: this.now, stream, text },
    );
  }

  step(
    step: BuildStep,
    phase: 'start' | 'end',
    fields: StepFields = {},
  ): Promise<void> | undefined {
    if (this.handler === undefined || this.failed) return;
    return this.deliver({ type: 'step', seq: ++this.seq, ts: Date.now(), step, phase, ...fields });
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

  private deliver(event: BuildEvent): Promise<void> | undefined {
    let result: unknown;
    try {
      result = this.handler!(event);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result === undefined || result === null) return;
    if (typeof (result as Promise<void>).then !== 'function') return;
    return (result as Promise<void>).then(undefined, (error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.trouble.onHandlerError(error);
  }
}
