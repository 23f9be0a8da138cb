export type HeartbeatOptions = {
  intervalMs: number;
  /** Sends one `ping`. */
  ping: () => void;
  /** Nothing arrived for two intervals: the connection is half-open or dead. */
  onTimeout: () => void;
  now?: () => number;
};

/** A running heartbeat; `touch` on every message received, `stop` when the socket closes. */
export type Heartbeat = { touch(): void; stop(): void };

/**
 * Pings every interval and watches for silence: any message counts as liveness, and two
 * intervals without one call `onTimeout`. Touching only stores a timestamp, so a busy
 * connection (thousands of acks a second) costs no timer churn.
 * @example
 * const hb = startHeartbeat({ intervalMs: 15_000, ping: () => send({ type: 'ping', ts: Date.now() }),
 *   onTimeout: () => socket.terminate() });
 * socket.on('message', () => hb.touch());
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const now = options.now ?? Date.now;
  const limit = 2 * options.intervalMs;
  let lastSeen = now();
  let stopped = false;
  const pinger = setInterval(options.ping, options.intervalMs);
  let watchdog: NodeJS.Timeout;
  const watch = (delay: number) => {
    watchdog = setTimeout(() => {
      if (stopped) return;
      const silent = now() - lastSeen;
      if (silent >= limit) {
        stop();
        options.onTimeout();
      } else {
        watch(limit - silent);
      }
    }, delay);
  };
  const stop = () => {
    stopped = true;
    clearInterval(pinger);
    clearTimeout(watchdog);
  };
  watch(limit);
  return {
    touch() {
      lastSeen = now();
    },
    stop,
  };
}
