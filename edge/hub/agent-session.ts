import { type AgentFrame, decodeAgentFrame, encodeMessage } from '../../shared/protocol/codec.ts';
import { ProtocolError, protocolError, protocolErrors } from '../../shared/protocol/errors.ts';
import { type AgentRelease, terminalStates } from '../../shared/protocol/job.ts';
import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import { DoneSettler } from '../jobs/done-settler.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { LogBus } from '../logs/log-bus.ts';
import { LogIngest } from '../logs/log-ingest.ts';
import type { EdgeOptions } from '../options.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { HubMetrics } from './hub-metrics.ts';
import { TokenBucket } from './rate-limit.ts';
import type { AgentSocket } from './socket.ts';

export type SessionDeps = {
  store: Store;
  jobs: JobService;
  bus: LogBus;
  options: EdgeOptions;
  now: () => number;
  /** The agent file this edge serves, for welcome (absent or null: it serves none). */
  agentRelease?: () => Promise<AgentRelease | null>;
  metrics: HubMetrics;
  /** Asked before hello touches anything: null admits, a refusal (CONTESTED) closes. */
  admit(session: AgentSession): ProtocolError | null;
  /** Called once hello is accepted: the hub makes this the hive's one live session. */
  onReady(session: AgentSession): void;
  onClosed(session: AgentSession): void;
};

/** A decoded frame of one type. */
type Frame<T extends AgentFrame['type']> = Extract<AgentFrame, { type: T }>;
/** The handler of each message type an agent may send (the codec's allow-list, typed). */
type Handlers = { [T in AgentFrame['type']]: (message: Frame<T>, size: number) => unknown };

/**
 * One agent's connection: decodes each frame, checks it (flood, hello first, the job is this
 * hive's), and hands it on — jobs to the JobService, logs to the LogIngest, job_done to the
 * DoneSettler. Messages are handled strictly one after another (store writes must not
 * reorder); any protocol violation sends `error` and closes with its code, storing nothing.
 */
export class AgentSession {
  readonly hive: string;
  lastReceived: number;
  ready = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  readonly #bucket: TokenBucket;
  readonly #ownJobs = new Set<string>();
  /** Jobs of this hive that have ended: their outcome and log are closed (JOB_ENDED). */
  readonly #ended = new Set<string>();
  readonly #tokenHash: string;
  readonly #logs: LogIngest;
  readonly #dones: DoneSettler;

  constructor(
    hive: HiveRecord,
    private readonly socket: AgentSocket,
    private readonly deps: SessionDeps,
  ) {
    this.hive = hive.id;
    this.#tokenHash = hive.token_hash;
    this.lastReceived = deps.now();
    const rate = deps.options.maxMessagesPerSecond;
    this.#bucket = new TokenBucket(rate, rate * 2, deps.now);
    this.#logs = new LogIngest(deps.store, deps.bus, deps.options, {
      ack: (job, nextSeq) => this.send({ type: 'ack', job, next_seq: nextSeq }),
      stored: (entries, bytes, seconds) => {
        deps.metrics.logEntriesStored += entries;
        deps.metrics.logBytesStored += bytes;
        deps.metrics.logCommit.observe(seconds);
      },
      drained: (job, head) => this.#dones.logStored(job, head),
      failed: (error, cause) => this.#fail(error, cause),
    });
    this.#dones = new DoneSettler(
      deps.jobs,
      deps.store,
      (job) => this.#logs.position(job),
      (job) => this.send({ type: 'done_ack', job }),
    );
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

  /** Closes with GOING_AWAY: the edge is shutting down. */
  goAway() {
    this.close(protocolErrors.GOING_AWAY, 'GOING_AWAY');
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

  /**
   * The runtime refused a frame before it reached the session (a frame past the adapter's
   * hard cap, which `ws` closes with 1009 itself): counted like the session's own refusal.
   */
  refusedByTransport(code: ProtocolError['code']) {
    if (this.closed) return;
    this.deps.metrics.count(this.deps.metrics.refused, code);
    this.onSocketClosed();
  }

  /** The socket's close event, whoever closed it. */
  onSocketClosed() {
    if (this.closed) return;
    this.closed = true;
    this.deps.onClosed(this);
  }

  /** Entry point for every frame; the flood check runs before any parsing. */
  receive(data: string | Uint8Array) {
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
      .catch((error: unknown) => this.#fail(error, error));
  }

  /** A handler or the writer failed: a ProtocolError is refused, anything else is INTERNAL. */
  #fail(error: unknown, cause: unknown) {
    if (error instanceof ProtocolError && error.code !== 'INTERNAL') return this.refuse(error);
    console.error(`hive ${this.hive}: ${cause instanceof Error ? cause.stack : cause}`);
    this.refuse(
      error instanceof ProtocolError
        ? error
        : protocolError('INTERNAL', 'the edge failed handling this message; nothing was kept'),
    );
  }

  async #handle(message: AgentFrame, size: number) {
    if (this.closed) return;
    this.deps.metrics.count(this.deps.metrics.received, message.type);
    if (!this.ready && message.type !== 'hello') {
      throw protocolError('HELLO_REQUIRED', `the first message must be hello, not ${message.type}`);
    }
    if ('job' in message && typeof message.job === 'string') await this.#ownJob(message.job);
    const handle = this.#handlers[message.type] as (m: AgentFrame, size: number) => unknown;
    await handle(message, size);
  }

  /** What each message does once it is checked; the decoder already refused every other type. */
  readonly #handlers: Handlers = {
    hello: (message) => this.#hello(message),
    ping: (message) => {
      this.send({ type: 'pong', ts: message.ts });
    },
    pong: () => {},
    accept: (message) => this.deps.jobs.onAccept(message.job),
    job_state: (message) => this.deps.jobs.onRunning(message.job, message.step),
    logs: async (message, size) => {
      if (this.#ended.has(message.job)) await this.#closedLog(message.job, message.batch);
      return this.#logs.accept(message.job, message.batch, size);
    },
    job_done: async (message) => {
      if (this.#ended.has(message.job)) await this.#closedOutcome(message.job, message.outcome);
      return this.#dones.done(message.job, message);
    },
    capabilities: (message) =>
      this.deps.store.updateHive(this.hive, (h) => ({
        ...h,
        platform: message.platform,
        installed: message.installed,
      })),
  };

  /** The hub tells a live session that one of its jobs ended (on this edge instance). */
  jobEnded(job: string) {
    this.#ended.add(job);
  }

  /** A resend of stored entries of an ended job is harmless; a new entry is refused. */
  async #closedLog(job: string, batch: { first: number; count: number }) {
    const head = this.#logs.position(job)?.stored.next ?? (await this.deps.store.logHead(job)).next;
    if (batch.first + batch.count > head) {
      throw protocolError(
        'JOB_ENDED',
        `job ${job} has ended: its log is closed at ${head} entries, nothing can be added`,
      );
    }
  }

  /** The same outcome again is a lost done_ack's resend; another outcome is refused. */
  async #closedOutcome(job: string, outcome: string) {
    const stored = await this.deps.store.getJob(job);
    if (stored && stored.state !== outcome) {
      throw protocolError(
        'JOB_ENDED',
        `job ${job} has ended as ${stored.state}; a report of ${outcome} cannot change it`,
      );
    }
  }

  async #hello(message: Frame<'hello'>) {
    if (this.ready)
      throw protocolError('HELLO_REQUIRED', 'hello was already received on this connection');
    // Deleted or rotated between the upgrade and this hello: not welcomed.
    const current = await this.deps.store.getHive(this.hive);
    if (!current || current.token_hash !== this.#tokenHash) {
      throw protocolError('REVOKED', 'this hive was deleted or its token rotated');
    }
    const refusal = this.deps.admit(this);
    if (refusal) throw refusal;
    const now = this.deps.now();
    await this.deps.store.updateHive(this.hive, (h) => ({
      ...h,
      last_seen: now,
      platform: message.platform,
      installed: message.installed,
      agent_version: message.agent_version,
      agent_upgradable: message.upgradable === true,
    }));
    const { welcome, toDeliver } = await this.deps.jobs.onHello(this.hive, message.jobs);
    // Not marked as own here: the first frame about each reads it once (its state too).
    this.ready = true;
    this.deps.onReady(this);
    this.send({
      type: 'welcome',
      hive: this.hive,
      heartbeat_ms: this.deps.options.heartbeatMs,
      jobs: welcome,
      ...(message.upgradable ? await this.#edgeAgent() : {}),
    });
    for (const job of toDeliver) await this.deps.jobs.deliver(job);
  }

  /** `{agent}` for welcome: the edge's agent file; nothing when there is none or it cannot be read. */
  async #edgeAgent(): Promise<{ agent?: AgentRelease }> {
    const release = await this.deps.agentRelease?.().catch(() => null);
    return release ? { agent: { version: release.version, sha256: release.sha256 } } : {};
  }

  /** Refuses a message about a job that is not this hive's (checked once per job). */
  async #ownJob(id: string) {
    if (this.#ownJobs.has(id)) return;
    const job = await this.deps.store.getJob(id);
    if (!job || job.hive !== this.hive) {
      throw protocolError('NOT_YOUR_JOB', `job ${id} is not a job of hive ${this.hive}`);
    }
    if (terminalStates.has(job.state)) this.#ended.add(id);
    this.#ownJobs.add(id);
  }
}
