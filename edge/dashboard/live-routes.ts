import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { SESSION_COOKIE, type Sessions } from '../auth/sessions.ts';
import { apiError } from '../http/errors.ts';
import { hiveView } from '../hub/hive-view.ts';
import type { Hub } from '../hub/hub.ts';
import { FLEET_WAKE, type LogBus } from '../logs/log-bus.ts';
import type { Store } from '../store/store.ts';
import type { FeedTopic, LiveFeed } from './live-feed.ts';

/** Jobs and rollouts the feed compares: the newest ones, as the pages list them. */
const RECENT = 200;

/** One reading of what the pages show: hives (with online from the hub), jobs, rollouts. */
export function fleetReader(store: Store, hub: Hub) {
  return async (): Promise<Record<FeedTopic, string>> => {
    const [hives, jobs, rollouts] = await Promise.all([
      store.listHives(),
      store.listJobs({ limit: RECENT }),
      store.listRollouts(RECENT),
    ]);
    return {
      hives: JSON.stringify(hives.map((h) => hiveView(h, hub.isConnected(h.id)))),
      jobs: JSON.stringify(
        jobs.map((j) => [j.id, j.state, j.step, j.updated_at, j.held, j.cancel_requested]),
      ),
      rollouts: JSON.stringify(rollouts.map((r) => [r.id, r.state, r.updated_at])),
    };
  };
}

/**
 * After an API call that changed something, a fleet wake-up on the bus: pages on every
 * instance re-read (a hive created, deleted or rotated has no job of its own to wake).
 */
export function wakeOnChange(bus: LogBus): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 400) {
      bus.publish(FLEET_WAKE);
    }
  };
}

/**
 * `GET /dashboard/events`: the dashboard's push stream (SSE), for any signed-in session. It
 * sends `ready` once the feed is listening, then a `change` event `{topics, via}` whenever
 * what a page shows changed; the page re-reads those topics through the API. A comment line
 * every poll keeps proxies from closing a quiet stream.
 */
export function liveRoutes(sessions: Sessions, feed: LiveFeed, pollMs: number) {
  const app = new Hono();
  app.get('/dashboard/events', async (c) => {
    const session = await sessions.get(getCookie(c, SESSION_COOKIE));
    if (!session) return apiError(c, 401, 'UNAUTHORIZED', 'the session has ended; sign in again');
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      const off = await feed.listen((change) => {
        queue.push(JSON.stringify(change));
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      const ping = setInterval(() => {
        queue.push('');
        wake?.();
      }, pollMs);
      try {
        await stream.writeSSE({ event: 'ready', data: '{}' });
        while (open) {
          if (queue.length === 0) await new Promise<void>((r) => (wake = r));
          wake = null;
          for (const data of queue.splice(0)) {
            if (data) await stream.writeSSE({ event: 'change', data });
            else await stream.write(': ping\n\n');
          }
        }
      } finally {
        clearInterval(ping);
        off();
      }
    });
  });
  return app;
}
