import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiError } from './errors.ts';
import { MAX_BODY_BYTES } from './read-body.ts';

/** Routes that take more than the default: a fleet-wide install names up to 100,000 hives. */
export const LARGE_BODY_ROUTES: Record<string, number> = {
  '/api/installs': 4 * 1024 * 1024,
  // The builder set signed with the fleet key (edge/packages/builders-routes.ts).
  '/api/builders/signed': 2 * 1024 * 1024,
  '/api/agents/upgrade': 4 * 1024 * 1024,
};

/**
 * One byte limit for every request body, applied once before any route (Hono's `bodyLimit`):
 * a declared Content-Length over it is refused before reading, and a chunked body is counted
 * while it is read and refused the moment it passes, so nothing larger is ever buffered.
 * `/login` and `/logout` get the default like everything else.
 * @example app.use('*', bodyLimits());
 */
export function bodyLimits(defaultBytes = MAX_BODY_BYTES): MiddlewareHandler {
  const limits = new Map<number, MiddlewareHandler>();
  const limiter = (maxSize: number) => {
    let limit = limits.get(maxSize);
    if (!limit) {
      limit = bodyLimit({
        maxSize,
        onError: (c) =>
          apiError(c, 413, 'BODY_TOO_LARGE', `request body is larger than ${maxSize} bytes`),
      });
      limits.set(maxSize, limit);
    }
    return limit;
  };
  return (c, next) => limiter(LARGE_BODY_ROUTES[c.req.path] ?? defaultBytes)(c, next);
}
