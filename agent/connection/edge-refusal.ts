import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

/** Most bytes of a refused upgrade's body the agent reads (default 16 KiB); the rest is dropped. */
export const DEFAULT_MAX_REFUSAL_BYTES = 16 * 1024;

/** The edge's error body (`apiError`): a stable code and a sentence for people. */
const refusalSchema = z.object({
  code: z.string().min(1).max(64),
  error: z.string().max(1000),
});

export type EdgeRefusal = { status: number; code?: string; error?: string };

/**
 * Reads the answer of a refused upgrade (ws's `unexpected-response`): the status and, when the
 * body is the edge's JSON `{code, error}` within `maxBytes`, its reason. Reading stops at the
 * limit, so a peer that streams a huge body cannot hold the agent; a body that is cut, not JSON
 * or not the edge's shape gives the status alone.
 * @example
 * ws.on('unexpected-response', async (_req, res) => log(describeRefusal(await readRefusal(res))));
 */
export function readRefusal(
  res: IncomingMessage,
  maxBytes = DEFAULT_MAX_REFUSAL_BYTES,
): Promise<EdgeRefusal> {
  const status = res.statusCode ?? 0;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (complete: boolean) => {
      if (settled) return;
      settled = true;
      res.removeAllListeners('data');
      if (!complete) {
        resolve({ status });
        return;
      }
      const parsed = parseBody(Buffer.concat(chunks).toString('utf8'));
      resolve(parsed ? { status, ...parsed } : { status });
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(false);
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () => settle(true));
    res.once('error', () => settle(false));
    res.once('close', () => settle(false));
  });
}

function parseBody(text: string): { code: string; error: string } | undefined {
  try {
    const result = refusalSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Says why the edge would not upgrade, in the words an operator needs, with the edge's reason. */
export function describeRefusal(refusal: EdgeRefusal): string {
  const { status, code, error } = refusal;
  const hint = status === 401 ? '; check --token' : '';
  if (code !== undefined) return `edge refused the connection (${status} ${code}): ${error}${hint}`;
  if (status === 401) return 'edge refused the token (401): check --token';
  return `edge answered HTTP ${status} instead of upgrading to a WebSocket`;
}
