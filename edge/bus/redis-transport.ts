import { Redis } from 'ioredis';
import type { BusMessage, BusTransport } from './transport.ts';

/**
 * The Redis pub/sub engine: one channel, JSON messages. The subscriber is its own connection
 * (a subscribed connection can do nothing else); ioredis resubscribes after a reconnect. What
 * is published while Redis is down is dropped: readers poll the store, presence has leases.
 * @example const transport = redisTransport('redis://127.0.0.1:6379/0');
 */
export function redisTransport(url: string, channel = '{rbee}:bus'): BusTransport {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, enableOfflineQueue: true });
  pub.on('error', () => {});
  sub.on('error', () => {});
  return {
    publish: (message) => {
      pub.publish(channel, JSON.stringify(message)).catch(() => {});
    },
    subscribe: (listener) => {
      sub.subscribe(channel).catch(() => {});
      sub.on('message', (_channel: string, text: string) => {
        let message: BusMessage;
        try {
          message = JSON.parse(text) as BusMessage;
        } catch {
          return;
        }
        listener(message);
      });
    },
    close: () => {
      pub.disconnect();
      sub.disconnect();
    },
  };
}
