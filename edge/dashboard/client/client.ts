import type { Role } from '../../../shared/api/tokens.ts';
import { ApiError } from '../../../shared/client/api-error.ts';
import { createClient } from '../../../shared/client/create-client.ts';
import { maybe$ } from './dom.ts';

export { ApiError };

/** The session's CSRF token, rendered by the server into <meta name="csrf-token">. */
const csrf = () => maybe$<HTMLMetaElement>('meta[name=csrf-token]')?.content ?? '';

/**
 * fetch with the session cookie and its CSRF token on every request, so unsafe ones pass the
 * edge's check. A 401 (the session ended) sends the user to sign in and come back here.
 */
const sessionFetch: typeof fetch = async (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('X-CSRF-Token', csrf());
  const res = await fetch(input, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401) location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  return res;
};

/** The typed API client (shared/client), signed in by the session cookie; same-origin paths. */
export const client = createClient({ edge: '', fetch: sessionFetch });

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** The signed-in role (the server renders it into <body data-role>). */
export const role = (): Role => (document.body.dataset.role as Role) || 'viewer';

/**
 * Whether the signed-in role may do what `needed` may: pages hide what the API would refuse
 * with 403 FORBIDDEN (the API's check is the one that counts).
 */
export const can = (needed: Role) => rank[role()] >= rank[needed];

/** What to show for a failed call: the edge's message, or the error's. */
export const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
