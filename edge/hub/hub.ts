import { protocolError } from '../../shared/protocol/errors.ts';
import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import type { HiveLink } from '../jobs/job-service.ts';
import type { HiveRecord } from '../store/records.ts';
import { AgentSession, type SessionDeps } from './agent-session.ts';
import { HubMetrics } from './hub-metrics.ts';
import type { AgentSocket } from './socket.ts';

/**
 * Holds every agent connection: one live session per hive (a newer one replaces the older),
 * heartbeats for all of them from one timer, and the link the job service sends through.
 */
export class Hub implements HiveLink {
  readonly #live = new Map<string, AgentSession>();
  readonly #pending = new Set<AgentSession>();
  /** The first ping each live session was sent since it last sent anything. */
  readonly #unanswered = new WeakMap<AgentSession, { at: number; lastReceived: number }>();
  #timer: ReturnType<typeof setInterval> | null = null;

  readonly metrics: HubMetrics;

  constructor(private readonly deps: Omit<SessionDeps, 'onReady' | 'onClosed' | 'metrics'>) {
    this.metrics = new HubMetrics();
  }

  /** A socket whose upgrade was authenticated as `hive`; returns the session to feed frames to. */
  open(hive: HiveRecord, socket: AgentSocket): AgentSession {
    this.metrics.connections++;
    const session = new AgentSession(hive, socket, {
      ...this.deps,
      metrics: this.metrics,
      onReady: (s) => {
        this.#pending.delete(s);
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

  isOnline(hive: string): boolean {
    return this.#live.has(hive);
  }

  onlineCount(): number {
    return this.#live.size;
  }

  send(hive: string, message: MessageBody<EdgeMessage>): boolean {
    return this.#live.get(hive)?.send(message) ?? false;
  }

  /** Closes a deleted hive's socket with REVOKED. */
  revoke(hive: string) {
    this.#live
      .get(hive)
      ?.refuse(protocolError('REVOKED', 'this hive was deleted and its token revoked'));
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
