import { type RunningEdge, startEdge } from '../../edge/node/start-edge.ts';
import type { EdgeOptions } from '../../edge/options.ts';
import { tempDir } from './edge-process.ts';

export const ADMIN = 'rba_test_admin_token_for_the_suite_0000000';

/** A real edge (HTTP + WebSocket on a free port) inside the test process, with an admin client. */
export async function inProcessEdge(options: Partial<EdgeOptions> = {}, dataDir = tempDir('edge')) {
  const edge: RunningEdge = await startEdge(
    { port: 0, host: '127.0.0.1', dataDir, catalogDir: null, options },
    { RBEE_ADMIN_TOKEN: ADMIN },
  );
  const api = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = ADMIN,
  ) => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${edge.url}${path}`, {
      method,
      headers,
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
  const enrol = async (name: string, labels?: Record<string, string>) => {
    const res = await api('POST', '/api/hives', { name, ...(labels ? { labels } : {}) });
    if (res.status !== 201)
      throw new Error(`enrol ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; name: string; token: string };
  };
  return { edge, url: edge.url, dataDir, api, enrol, close: () => edge.close() };
}
