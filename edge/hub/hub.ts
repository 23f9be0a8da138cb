import { protocolError } from '../../shared/protocol/errors.ts';
import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';
import { FailureLimit } from '../auth/failure-limit.ts';
import type { HiveLink } from '../jobs/job-service.ts';
import { FLEET_WAKE } from '../logs/log-bus.ts';
import type { HiveRecord } from '../store/records.ts';
import { AgentSession, type SessionDeps } from './agent-session.ts';
import { ContestRule, countContest } from './contest.ts';
import { HubMetrics } from './hub-metrics.ts';
import type { AgentSocket } from './socket.ts';

/**
 * The other edge instances, as the hub sees them (edge/bus/cluster.ts): who holds a hive's
 * socket elsewhere, a message forwarded there, and what this hub tells them.
 */
export interface HubPeers {
  /** The instance holding the hive's live socket elsewhere, or null. */
  holder(hive: string): string | null;
  /** Sends through the instance that holds the hive; false when none does. */
  forward(hive: string, message: MessageBody<EdgeMessage>): boolean;
  /** A session of this hub went live (at `at`): the others close theirs with REPLACED. */
  took(hive: string, at: number): void;
  /** This hub's live session of the hive closed. */
  left(hive: string): void;
  /** The hive was deleted: the holder closes its socket with REVOKED. */
  revoke(hive: string): void;
  /** The hive became contested here: the others hold its jobs too. */
  contested(hive: string): void;
}

/**
 * Holds every agent connection: one live session per hive (a second one with the same token
 * is refused while the first answers: contest.ts), heartbeats for all of them from one timer,
 * the link the job service sends through, and the other instances (HubPeers). A contested
 * hive's jobs are held. Across instances, the newer session replaces the older (REPLACED).
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
  /** When each live session went live, to settle a takeover race between instances. */
  readonly #liveSince = new Map<string, number>();
  #peers: HubPeers | null = null;
  /** Sessions closed because another took the hive over: their close is no hive going offline. */
  readonly #replaced = new WeakSet<AgentSession>();
  readonly #presence: ((hive: string, online: boolean) => void)[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #helloTimer: ReturnType<typeof setInterval> | null = null;

  /**
   * Calls `listener` when a hive comes online here (no session of it was live on any instance)
   * and when its live session closes for a reason other than a takeover (webhooks).
   */
  onPresence(listener: (hive: string, online: boolean) => void) {
    this.#presence.push(listener);
  }

  #tellPresence(hive: string, online: boolean) {
    for (const listener of this.#presence) {
      try {
        listener(hive, online);
      } catch (error) {
        console.error(`hive ${hive}: a presence listener failed:`, error);
      }
    }
  }

  readonly metrics: HubMetrics;
  /** Upgrades with a bad token, per client IP (429 RATE_LIMITED past the option). */
  readonly authFailures: FailureLimit;

  constructor(
    private readonly deps: Omit<SessionDeps, 'onReady' | 'onClosed' | 'metrics' | 'admit'>,
  ) {
    this.metrics = new HubMetrics();
    this.authFailures = new FailureLimit(deps.options.agentAuthFailuresPerMinute, deps.now);
    this.#contest = new ContestRule(deps.options.heartbeatMs, deps.now);
    // An ended job is closed on its hive's session: later frames about it are refused.
    deps.jobs.onJobEnd((job) => this.#live.get(job.hive)?.jobEnded(job.id));
  }

  /** Whether the hive's token was seen on competing connections (its jobs are held). */
  isContested(hive: string): boolean {
    return this.#contested.has(hive);
  }

  /** Whether the hive has a live session here or on another instance (the API's `online`). */
  isConnected(hive: string): boolean {
    return this.#live.has(hive) || (this.#peers?.holder(hive) ?? null) !== null;
  }

  /** After a token rotation: not contested any more, counts forgotten (in the store too). */
  clearContest(hive: string) {
    this.#contested.delete(hive);
    void this.deps.store
      .updateHive(hive, (h) => (h.contests?.length ? { ...h, contests: [] } : null))
      .catch(() => {});
  }

  /** Another instance marked the hive contested, or it was rotated (`false`). */
  contestedElsewhere(hive: string, contested = true) {
    if (contested) this.#contested.add(hive);
    else this.#contested.delete(hive);
  }

  /**
   * Counts one competing connection in the hive's stored record (compare-and-set, so every
   * instance adds to one count); past the limit the hive is contested on every instance.
   */
  #compete(hive: string) {
    const now = this.deps.now();
    const max = this.deps.options.maxContestsPerMinute;
    void this.deps.store
      .updateHive(hive, (h) => countContest(h, now, max))
      .then((h) => {
        if (!h?.contested_at || this.#contested.has(hive)) return;
        this.#contested.add(hive);
        this.#peers?.contested(hive);
        console.error(
          `hive ${hive}: CONTESTED: ${h.contests?.length} competing connections with its token within a minute; its jobs are held until the token is rotated`,
        );
      })
      .catch(() => {});
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
        const { competes, refusal } = this.#contest.judge(s, holder);
        if (competes) this.#compete(s.hive);
        if (!refusal) this.#claims.set(s.hive, s);
        return refusal;
      },
      onReady: (s) => {
        this.#pending.delete(s);
        if (this.#claims.get(s.hive) === s) this.#claims.delete(s.hive);
        const old = this.#live.get(s.hive);
        const wasOnline = old !== undefined || (this.#peers?.holder(s.hive) ?? null) !== null;
        this.#live.set(s.hive, s);
        const at = this.deps.now();
        this.#liveSince.set(s.hive, at);
        this.#peers?.took(s.hive, at);
        if (!wasOnline) this.#tellPresence(s.hive, true);
        this.deps.bus.wakeLocal(FLEET_WAKE);
        if (old && old !== s) {
          this.#replaced.add(old);
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
          this.#liveSince.delete(s.hive);
          this.#peers?.left(s.hive);
          const now = this.deps.now();
          void this.deps.store
            .updateHive(s.hive, (h) => ({ ...h, last_seen: now }))
            .catch(() => {})
            .finally(() => this.deps.bus.wakeLocal(FLEET_WAKE));
          if (!this.#replaced.has(s)) this.#tellPresence(s.hive, false);
        }
      },
    });
    this.#pending.add(session);
    this.#startTimer();
    return session;
  }

  /** For the job service: a contested hive is not online, so its new jobs wait (held). */
  isOnline(hive: string): boolean {
    if (this.#contested.has(hive)) return false;
    return this.#live.has(hive) || (this.#peers?.holder(hive) ?? null) !== null;
  }

  /** Joins the other instances: online, send and revoke then reach hives connected to them. */
  join(peers: HubPeers, self: string) {
    this.#peers = peers;
    this.#self = self;
  }
  #self: string | null = null;

  /**
   * With other instances: `{ instance }`, the one holding the hive's socket (null when none),
   * for `/api/hives/:id`. Alone: nothing to add.
   */
  holderView(hive: string): { instance?: string | null } {
    if (this.#self === null) return {};
    return { instance: this.#live.has(hive) ? this.#self : (this.#peers?.holder(hive) ?? null) };
  }

  /** The hives with a live session on this hub, and since when. */
  liveHives(): Map<string, number> {
    return this.#liveSince;
  }

  /** Sends only through this hub's own socket (a contested hive's jobs are held here too). */
  sendLocal(hive: string, message: MessageBody<EdgeMessage>): boolean {
    if (message.type === 'job' && this.#contested.has(hive)) return false;
    return this.#live.get(hive)?.send(message) ?? false;
  }

  /**
   * Another instance took the hive at `at`: an older session here is closed with REPLACED.
   * Replacing one that was still answering (not yet due to be dropped by the heartbeat rule) is
   * a competing connection, counted here, where the replaced session's silence is known; a
   * session on an instance that died is replaced without counting, as nobody is left to ask.
   */
  replacedElsewhere(hive: string, at: number) {
    const since = this.#liveSince.get(hive);
    const session = this.#live.get(hive);
    if (since === undefined || since > at || !session) return;
    if (this.deps.now() - session.lastReceived <= 2 * this.deps.options.heartbeatMs) {
      this.#compete(hive);
    }
    this.#replaced.add(session);
    session.refuse(protocolError('REPLACED', 'another connection with this hive token took over'));
  }

  /** Closes this hub's sockets of a deleted or rotated hive with REVOKED, live or pending. */
  revokeLocal(hive: string, why = 'this hive was deleted and its token revoked') {
    const error = protocolError('REVOKED', why);
    this.#live.get(hive)?.refuse(error);
    for (const s of [...this.#pending]) if (s.hive === hive) s.refuse(error);
  }

  onlineCount(): number {
    return this.#live.size;
  }

  send(hive: string, message: MessageBody<EdgeMessage>): boolean {
    if (message.type === 'job' && this.#contested.has(hive)) return false; // held
    const local = this.#live.get(hive);
    if (local) return local.send(message);
    return this.#peers?.forward(hive, message) ?? false;
  }

  /**
   * Cuts every socket of a deleted or rotated hive with REVOKED, live or before its hello, on
   * this instance and on whichever other instance holds it.
   */
  revoke(hive: string, why = 'this hive was deleted and its token revoked') {
    this.revokeLocal(hive, why);
    this.#peers?.revoke(hive);
  }

  /** One timer for all live sessions: ping them, drop the silent. */
  tick() {
    const now = this.deps.now();
    const { heartbeatMs } = this.deps.options;
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

  /** Closes the connections that sent no hello in time. */
  #expireHellos() {
    const now = this.deps.now();
    const { helloTimeoutMs } = this.deps.options;
    for (const s of this.#pending) {
      if (now - s.lastReceived > helloTimeoutMs) {
        s.refuse(protocolError('HELLO_REQUIRED', `no hello within ${helloTimeoutMs} ms`));
      }
    }
  }

  #startTimer() {
    if (this.#timer) return;
    // Pings at half the heartbeat, so silence is noticed within two intervals. Hellos have their
    // own timer: one at the shorter of the two pinged every live socket every 5 s by default,
    // and 10,000 agents answered 2,000 pongs a second.
    const { heartbeatMs, helloTimeoutMs } = this.deps.options;
    this.#timer = setInterval(() => this.tick(), Math.max(50, Math.floor(heartbeatMs / 2)));
    this.#helloTimer = setInterval(
      () => this.#expireHellos(),
      Math.max(50, Math.floor(helloTimeoutMs / 2)),
    );
    for (const t of [this.#timer, this.#helloTimer]) (t as { unref?: () => void }).unref?.();
  }

  close() {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#helloTimer) clearInterval(this.#helloTimer);
    this.#timer = null;
    this.#helloTimer = null;
    for (const s of [...this.#live.values(), ...this.#pending]) s.goAway();
  }
}
