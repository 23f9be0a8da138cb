import type { EdgeMessage, MessageBody } from '../../shared/protocol/messages.ts';

/** What edge instances tell each other. Every message names its sender (`from`). */
export type BusMessage = {
  from: string;
} /** Something new is stored for the job (log entries, a state change): readers re-read. */ & (
  | { t: 'wake'; job: string }
  /** For the instance `to`, which holds the hive's socket: send this down it. */
  | { t: 'send'; to: string; hive: string; message: MessageBody<EdgeMessage> }
  /** The sender is up and holds these hives' sockets (every half heartbeat). */
  | { t: 'alive'; hives: string[]; ttl: number }
  /** A session of the hive went live on the sender at `at`: older ones elsewhere close. */
  | { t: 'took'; hive: string; at: number }
  /** The sender's session of the hive closed. */
  | { t: 'left'; hive: string }
  /** The hive was deleted: whoever holds its socket closes it with REVOKED. */
  | { t: 'revoke'; hive: string }
  /** The hive became contested (its token on competing connections): hold its jobs. */
  | { t: 'contested'; hive: string }
);

/**
 * A bus engine: delivers each published message to the other subscribers, at most once and
 * possibly never (pub/sub semantics). Correctness never rests on delivery: readers also poll
 * the store, presence has leases in the store.
 */
export interface BusTransport {
  publish(message: BusMessage): void;
  subscribe(listener: (message: BusMessage) => void): void;
  close(): void;
}

/**
 * The in-process engine: every edge created on one `InProcessBus` hears the others (tests,
 * or several edges in one process).
 * @example const bus = new InProcessBus(); createEdge({ ..., cluster: { transport: bus.connect() } })
 */
export class InProcessBus {
  readonly #listeners = new Set<(message: BusMessage) => void>();

  connect(): BusTransport {
    let mine: ((message: BusMessage) => void) | null = null;
    return {
      publish: (message) => {
        const copy = JSON.parse(JSON.stringify(message)) as BusMessage;
        queueMicrotask(() => {
          for (const l of [...this.#listeners]) if (l !== mine) l(copy);
        });
      },
      subscribe: (listener) => {
        mine = listener;
        this.#listeners.add(listener);
      },
      close: () => {
        if (mine) this.#listeners.delete(mine);
      },
    };
  }
}

/**
 * The BroadcastChannel engine: Deno Deploy delivers a BroadcastChannel's messages between its
 * isolates (and regions); locally it reaches other channels of the same name in the process.
 */
export function broadcastTransport(name = 'rbee-edge-bus'): BusTransport {
  const channel = new BroadcastChannel(name);
  return {
    publish: (message) => channel.postMessage(message),
    subscribe: (listener) => {
      channel.onmessage = (event: MessageEvent) => listener(event.data as BusMessage);
    },
    close: () => channel.close(),
  };
}
