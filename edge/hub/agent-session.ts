import { decodeAgentMessage, encodeMessage } from '../../shared/protocol/codec.ts';
import { ProtocolError, protocolError } from '../../shared/protocol/errors.ts';
import type { LogEntry } from '../../shared/protocol/log-entry.ts';
import type { AgentMessage, EdgeMessage } from '../../shared/protocol/messages.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { LogBus } from '../logs/log-bus.ts';
import type { EdgeOptions } from '../options.ts';
import type { HiveRecord } from '../store/records.ts';
import { LogGapError, type LogHead, type Store } from '../store/store.ts';
import type { HubMetrics } from './hub-metrics.ts';
import { TokenBucket } from './rate-limit.ts';
import type { AgentSocket } from './socket.ts';

type Body<M> = M extends unknown ? Omit<M, 'v'> : never;

export type SessionDeps = {
  store: Store;
  jobs: JobService;
  bus: LogBus;
  options: EdgeOptions;
  now: () => number;
  metrics: HubMetrics;
  /** Called once hello is accepted: the hub makes this the hive's one live session. */
  onReady(session: AgentSession): void;
  onClosed(session: AgentSession): void;
};

/**
 * One agent's connection. Messages are handled strictly one after another (store writes must
 * not reorder); any protocol violation sends `error` and closes with its code, storing nothing.
 */
export class AgentSession {
  readonly hive: string;
  lastReceived: number;
  ready = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  readonly #bucket: TokenBucket;
  /** job id → stored log head, for the jobs this session has written to. */
  readonly #heads = new Map<string, LogHead>();
  readonly #ownJobs = new Set<string>();
  /** Jobs whose job_done came before all their log entries: settled as the entries arrive. */
  readonly #awaitingLogs = new Set<string>();

  constructor(
    hive: HiveRecord,
    private readonly socket: AgentSocket,
    private readonly deps: SessionDeps,
  ) {
    this.hive = hive.id;
    this.lastReceived = deps.now();
    const rate = deps.options.maxMessagesPerSecond;
    this.#bucket = new TokenBucket(rate, rate * 2, deps.now);
  }

  send(message: Body<EdgeMessage>): boolean {
    if (this.closed) return false;
    try {
      this.socket.send(encodeMessage(message));
      this.deps.metrics.count(this.deps.metrics.sent, message.type);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends `error` with the code, then closes with the code's close status. */
  refuse(error: ProtocolError) {
    if (this.closed) return;
    this.deps.metrics.count(this.deps.metrics.refused, error.code);
    this.send({ type: 'error', code: error.code, message: error.message });
    this.close(error.closeCode, error.code);
  }

  close(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed by the peer
    }
    this.deps.onClosed(this);
  }

  /** The socket's close event, whoever closed it. */
  onSocketClosed() {
    if (this.closed) return;
    this.closed = true;
    this.deps.onClosed(this);
  }

  /** Entry point for every frame; the flood check runs before any parsing. */
  receive(data: string | ArrayBuffer | Uint8Array) {
    if (this.closed) return;
    this.lastReceived = this.deps.now();
    if (!this.#bucket.take()) {
      this.refuse(
        protocolError(
          'FLOOD',
          `more than ${this.deps.options.maxMessagesPerSecond} messages per second`,
        ),
      );
      return;
    }
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(data, this.deps.options.maxFrameBytes);
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(error);
      throw error;
    }
    const size = typeof data === 'string' ? data.length : data.byteLength;
    this.#queue = this.#queue
      .then(() => this.#handle(message, size))
      .catch((error: unknown) => {
        if (error instanceof ProtocolError) this.refuse(error);
        else {
          console.error(`hive ${this.hive}: ${error instanceof Error ? error.stack : error}`);
          this.close(1011, 'INTERNAL');
        }
      });
  }

  async #handle(message: AgentMessage, size: number) {
    if (this.closed) return;
    this.deps.metrics.count(this.deps.metrics.received, message.type);
    if (!this.ready && message.type !== 'hello') {
      throw protocolError('HELLO_REQUIRED', `the first message must be hello, not ${message.type}`);
    }
    switch (message.type) {
      case 'hello':
        return this.#hello(message);
      case 'ping':
        this.send({ type: 'pong', ts: message.ts });
        return;
      case 'pong':
        return;
      case 'accept':
        await this.#ownJob(message.job);
        this.deps.jobs.onAccept(message.job);
        return;
      case 'job_state':
        await this.#ownJob(message.job);
        await this.deps.jobs.onRunning(message.job, message.step);
        return;
      case 'logs':
        return this.#logs(message.job, message.entries, size);
      case 'job_done': {
        await this.#ownJob(message.job);
        const head = this.#heads.get(message.job) ?? (await this.deps.store.logHead(message.job));
        const final = await this.deps.jobs.onDone(message.job, message, head);
        if (final) this.send({ type: 'done_ack', job: message.job });
        else this.#awaitingLogs.add(message.job);
        return;
      }
      case 'capabilities':
        await this.deps.store.updateHive(this.hive, (h) => ({
          ...h,
          platform: message.platform,
          installed: message.installed,
        }));
        return;
    }
  }

  async #hello(message: Extract<AgentMessage, { type: 'hello' }>) {
    if (this.ready)
      throw protocolError('HELLO_REQUIRED', 'hello was already received on this connection');
    const now = this.deps.now();
    await this.deps.store.updateHive(this.hive, (h) => ({
      ...h,
      last_seen: now,
      platform: message.platform,
      installed: message.installed,
      agent_version: message.agent_version,
    }));
    const { welcome, toDeliver } = await this.deps.jobs.onHello(this.hive, message.jobs);
    for (const j of welcome) this.#ownJobs.add(j.id);
    this.ready = true;
    this.deps.onReady(this);
    this.send({
      type: 'welcome',
      hive: this.hive,
      heartbeat_ms: this.deps.options.heartbeatMs,
      jobs: welcome,
    });
    for (const job of toDeliver) await this.deps.jobs.deliver(job);
  }

  async #ownJob(id: string) {
    if (this.#ownJobs.has(id)) return;
    const job = await this.deps.store.getJob(id);
    if (!job || job.hive !== this.hive) {
      throw protocolError('NOT_YOUR_JOB', `job ${id} is not a job of hive ${this.hive}`);
    }
    this.#ownJobs.add(id);
  }

  async #logs(job: string, entries: LogEntry[], size: number) {
    await this.#ownJob(job);
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.s !== entries[i - 1]!.s + 1) {
        throw protocolError(
          'SEQ_ORDER',
          `log entries must be consecutive: seq ${entries[i]!.s} follows ${entries[i - 1]!.s}`,
        );
      }
    }
    const head = this.#heads.get(job) ?? (await this.deps.store.logHead(job));
    // The frame's size stands in for what it adds: a frame is refused before it is stored.
    const cap = this.deps.options.maxLogBytesPerJob;
    if (head.bytes + size > cap && entries[entries.length - 1]!.s >= head.next) {
      throw protocolError(
        'LOG_TOO_LARGE',
        `job ${job}'s log would pass ${cap} bytes (${head.bytes} stored, frame of ${size})`,
      );
    }
    let next: LogHead;
    try {
      next = await this.deps.store.appendLog(job, entries);
    } catch (error) {
      if (error instanceof LogGapError) throw protocolError('SEQ_GAP', error.message);
      throw error;
    }
    this.#heads.set(job, next);
    this.deps.metrics.logEntriesStored += next.next - head.next;
    this.send({ type: 'ack', job, next_seq: next.next });
    if (next.next !== head.next) this.deps.bus.publish(job);
    if (this.#awaitingLogs.has(job) && (await this.deps.jobs.settle(job, next))) {
      this.#awaitingLogs.delete(job);
      this.send({ type: 'done_ack', job });
    }
  }
}
