import { type AgentFrame, decodeAgentFrame, encodeMessage } from '../../shared/protocol/codec.ts';
import { ProtocolError, protocolError } from '../../shared/protocol/errors.ts';
import { joinBatches, type LogBatch, sliceBatch } from '../../shared/protocol/log-batch.ts';
import type { AgentMessage, EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { LogBus } from '../logs/log-bus.ts';
import type { EdgeOptions } from '../options.ts';
import type { HiveRecord } from '../store/records.ts';
import { LogGapError, type LogHead, type Store } from '../store/store.ts';
import type { HubMetrics } from './hub-metrics.ts';
import { TokenBucket } from './rate-limit.ts';
import type { AgentSocket } from './socket.ts';

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
  /** Per job: what is stored, and validated entries waiting for the writer (group commit). */
  readonly #appends = new Map<string, AppendState>();
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

  send(message: MessageBody<EdgeMessage>): boolean {
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
    let message: AgentFrame;
    try {
      message = decodeAgentFrame(data, this.deps.options.maxFrameBytes);
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

  async #handle(message: AgentFrame, size: number) {
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
        return this.#logs(message.job, message.batch, size);
      case 'job_done': {
        await this.#ownJob(message.job);
        const state = this.#appends.get(message.job);
        const head = state?.stored ?? (await this.deps.store.logHead(message.job));
        const final = await this.deps.jobs.onDone(message.job, message, head);
        if (final) this.send({ type: 'done_ack', job: message.job });
        else {
          this.#awaitingLogs.add(message.job);
          // The writer may have stored the last entries while onDone ran: settle now if idle.
          if (state && !state.writing) await this.#settle(message.job, state.stored);
        }
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

  /**
   * Validates a log frame and hands its new entries to the job's writer. Frames are not stored
   * one by one: while a commit is in flight the next frames gather, and go in the next commit
   * (group commit), so the store's latency does not cap the log rate. Acks follow each commit.
   */
  async #logs(job: string, batch: LogBatch, size: number) {
    await this.#ownJob(job);
    let state = this.#appends.get(job);
    if (!state) {
      const stored = await this.deps.store.logHead(job);
      state = { stored, expected: stored.next, pending: [], pendingBytes: 0, writing: false };
      this.#appends.set(job, state);
    }
    const first = batch.first;
    if (first > state.expected) {
      throw protocolError(
        'SEQ_GAP',
        `log entries start at seq ${first} but the log needs seq ${state.expected} first`,
      );
    }
    if (first + batch.count <= state.expected) {
      // A resend of what is stored or on its way: acknowledge what is stored.
      this.send({ type: 'ack', job, next_seq: state.stored.next });
      return;
    }
    // The frame's size stands in for what it adds: a frame is refused before it is stored.
    const cap = this.deps.options.maxLogBytesPerJob;
    const held = state.stored.bytes + state.pendingBytes;
    if (held + size > cap) {
      throw protocolError(
        'LOG_TOO_LARGE',
        `job ${job}'s log would pass ${cap} bytes (${held} held, frame of ${size})`,
      );
    }
    // An agent keeps a bounded window of unacknowledged entries; one that does not is flooding.
    if (state.pendingBytes + size > this.deps.options.maxPendingLogBytes) {
      throw protocolError(
        'FLOOD',
        `more than ${this.deps.options.maxPendingLogBytes} bytes of log sent ahead of acks`,
      );
    }
    const fresh = sliceBatch(batch, state.expected);
    state.pending.push(fresh);
    state.expected += fresh.count;
    state.pendingBytes += size;
    if (!state.writing) void this.#write(job, state);
  }

  /** The job's one writer: stores everything pending in one append, acks, repeats. */
  async #write(job: string, state: AppendState) {
    state.writing = true;
    try {
      while (state.pending.length > 0) {
        const batch = joinBatches(state.pending);
        state.pending = [];
        state.pendingBytes = 0;
        const before = state.stored.next;
        state.stored = await this.deps.store.appendLog(job, batch);
        this.deps.metrics.logEntriesStored += state.stored.next - before;
        this.send({ type: 'ack', job, next_seq: state.stored.next });
        if (state.stored.next !== before) this.deps.bus.publish(job);
      }
      state.writing = false;
      await this.#settle(job, state.stored);
    } catch (error) {
      state.writing = false;
      if (error instanceof LogGapError) this.refuse(protocolError('SEQ_GAP', error.message));
      else {
        console.error(`hive ${this.hive}: storing the log of ${job} failed:`, error);
        this.close(1011, 'INTERNAL');
      }
    }
  }

  /** Finishes a job whose job_done came before its last entries, once they are stored. */
  async #settle(job: string, head: LogHead) {
    if (this.#awaitingLogs.has(job) && (await this.deps.jobs.settle(job, head))) {
      this.#awaitingLogs.delete(job);
      this.send({ type: 'done_ack', job });
    }
  }
}

type AppendState = {
  /** What the store holds. */
  stored: LogHead;
  /** The next seq a frame may add: stored plus pending. */
  expected: number;
  /** Batches validated and waiting for the writer, consecutive. */
  pending: LogBatch[];
  pendingBytes: number;
  writing: boolean;
};
