import { protocolError } from '../../shared/protocol/errors.ts';
import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import type { HiveLink } from '../jobs/job-service.ts';
import type { HiveRecord } from '../store/records.ts';
import { AgentSession, type SessionDeps } from './agent-session.ts';
import { ContestRule } from './contest.ts';
import { HubMetrics } from './hub-metrics.ts';
import type { AgentSocket } from './socket.ts';

/**
 * Holds every agent connection: one live session per hive (a second one with the same token
 * is refused while the first answers: contest.ts), heartbeats for all of them from one timer,
 * and the link the job service sends through. A contested hive's jobs are held.
 */
export class Hub implements HiveLink {
  readonly #live = new Map<string, AgentSession>();
  readonly #pending = new Set<AgentSession>();
  /** The first ping each live session was sent since it last sent anything. */
  readonly #unanswered = new WeakMap<AgentSession, { at: number; lastReceived: number }>();
  /** The session whose hello is being handled, per hive: it holds the hive like a live one. */
  readonly #claims = new Map<string, AgentSession>();
  readonly #contested = new Set<string>();
  readonly #contest: ContestRule;
  #timer: ReturnType<typeof setInterval> | null = null;

  readonly metrics: HubMetrics;

  constructor(
    private readonly deps: Omit<SessionDeps, 'onReady' | 'onClosed' | 'metrics' | 'admit'>,
  ) {
    this.metrics = new HubMetrics();
    this.#contest = new ContestRule(
      deps.options.heartbeatMs,
      deps.options.maxContestsPerMinute,
      deps.now,
    );
    // An ended job is closed on its hive's session: later frames about it are refused.
    deps.jobs.onJobEnd((job) => this.#live.get(job.hive)?.jobEnded(job.id));
  }

  /** Whether the hive's token was seen on competing connections (its jobs are held). */
  isContested(hive: string): boolean {
    return this.#contested.has(hive);
  }

  /** Whether the hive has a live session (what the API shows as online). */
  isConnected(hive: string): boolean {
    return this.#live.has(hive);
  }

  /** After a token rotation: not contested any more, counts forgotten. */
  clearContest(hive: string) {
    this.#contested.delete(hive);
    this.#contest.forget(hive);
  }

  #markContested(hive: string, count: number) {
    if (this.#contested.has(hive)) return;
    this.#contested.add(hive);
    const now = this.deps.now();
    console.error(
      `hive ${hive}: CONTESTED: ${count} competing connections with its token within a minute; its jobs are held until the token is rotated`,
    );
    void this.deps.store.updateHive(hive, (h) => ({ ...h, contested_at: now })).catch(() => {});
  }

  /** A socket whose upgrade was authenticated as `hive`; returns the session to feed frames to. */
  open(hive: HiveRecord, socket: AgentSocket): AgentSession {
    this.metrics.connections++;
    if (hive.contested_at) this.#contested.add(hive.id);
    const session = new AgentSession(hive, socket, {
      ...this.deps,
      metrics: this.metrics,
      admit: (s) => {
        const holder = this.#live.get(s.hive) ?? this.#claims.get(s.hive);
        const refusal = this.#contest.judge(s, holder, (n) => this.#markContested(s.hive, n));
        if (!refusal) this.#claims.set(s.hive, s);
        return refusal;
      },
      onReady: (s) => {
        this.#pending.delete(s);
        if (this.#claims.get(s.hive) === s) this.#claims.delete(s.hive);
        const old = this.#live.get(s.hive);
        this.#live.set(s.hive, s);
        if (old && old !== s) {
          old.refuse(
            protocolError('REPLACED', 'another connection with this hive token took over'),
          );
        }
      },
      onClosed: (s) => {
        this.#pending.delete(s);
        if (this.#claims.get(s.hive) === s) this.#claims.delete(s.hive);
        if (this.#live.get(s.hive) === s) {
          this.#live.delete(s.hive);
          const now = this.deps.now();
          void this.deps.store
            .updateHive(s.hive, (h) => ({ ...h, last_seen: now }))
            .catch(() => {});
        }
      },
    });
    this.#pending.add(session);
    this.#startTimer();
    return session;
  }

  /** For the job service: a contested hive is not online, so its new jobs wait (held). */
  isOnline(hive: string): boolean {
    return this.#live.has(hive) && !this.#contested.has(hive);
  }

  onlineCount(): number {
    return this.#live.size;
  }

  send(hive: string, message: MessageBody<EdgeMessage>): boolean {
    if (message.type === 'job' && this.#contested.has(hive)) return false; // held
    return this.#live.get(hive)?.send(message) ?? false;
  }

  /** Cuts every socket of a deleted or rotated hive with REVOKED, live or before its hello. */
  revoke(hive: string, why = 'this hive was deleted and its token revoked') {
    const error = protocolError('REVOKED', why);
    this.#live.get(hive)?.refuse(error);
    for (const s of [...this.#pending]) if (s.hive === hive) s.refuse(error);
  }

  /** One timer for all sessions: ping, drop the silent, and time out missing hellos. */
  tick() {
    const now = this.deps.now();
    const { heartbeatMs, helloTimeoutMs } = this.deps.options;
    for (const s of this.#pending) {
      if (now - s.lastReceived > helloTimeoutMs) {
        s.refuse(protocolError('HELLO_REQUIRED', `no hello within ${helloTimeoutMs} ms`));
      }
    }
    for (const s of this.#live.values()) {
      // Silence alone does not drop a hive: a stalled edge (a loaded machine, a long GC) would
      // drop every hive at once. A hive is dropped once it has been silent for two intervals
      // and has left a ping unanswered for a whole one.
      const ping = this.#unanswered.get(s);
      const pingedAt = ping?.lastReceived === s.lastReceived ? ping.at : null;
      if (
        pingedAt !== null &&
        now - s.lastReceived > 2 * heartbeatMs &&
        now - pingedAt >= heartbeatMs
      ) {
        s.refuse(
          protocolError('HEARTBEAT_TIMEOUT', `nothing received for ${now - s.lastReceived} ms`),
        );
      } else {
        s.send({ type: 'ping', ts: now });
        if (pingedAt === null) this.#unanswered.set(s, { at: now, lastReceived: s.lastReceived });
      }
    }
  }

  #startTimer() {
    if (this.#timer) return;
    // Ticks at half the heartbeat so silence is noticed within two intervals.
    const every = Math.max(
      50,
      Math.floor(Math.min(this.deps.options.heartbeatMs, this.deps.options.helloTimeoutMs) / 2),
    );
    this.#timer = setInterval(() => this.tick(), every);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  close() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const s of [...this.#live.values(), ...this.#pending]) s.goAway();
  }
}
