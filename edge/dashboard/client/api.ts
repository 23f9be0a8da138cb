import { maybe$ } from './dom.ts';

/** The session's CSRF token, rendered by the server into <meta name="csrf-token">. */
const csrf = () => maybe$<HTMLMetaElement>('meta[name=csrf-token]')?.content ?? '';

/** An admin API answer: the status and the parsed JSON body (a non-JSON body as `error`). */
export type ApiResult = {
  status: number;
  ok: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each page reads the fields of the route it called
  body: any;
};

/**
 * Calls the admin API with the session cookie; every request carries the CSRF token, so unsafe
 * ones pass the edge's check. A 401 sends the user to sign in and come back here.
 */
export async function api(method: string, path: string, body?: unknown): Promise<ApiResult> {
  const headers: Record<string, string> = { 'X-CSRF-Token': csrf() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new Error('signed out');
  }
  const text = await res.text();
  let json: unknown = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: text };
  }
  return { status: res.status, ok: res.ok, body: json };
}
