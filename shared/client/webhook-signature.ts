/**
 * Webhook signatures: `X-Rbee-Signature: v1=<hex>` where hex is HMAC-SHA256(secret,
 * `${timestamp}.${body}`) and timestamp (Unix seconds) is `X-Rbee-Timestamp`. Signing the
 * timestamp with the body lets a receiver refuse a replayed old delivery. WebCrypto only, so a
 * receiver on Node, Deno or a browser verifies with the same function.
 */
export const SIGNATURE_HEADER = 'X-Rbee-Signature';
export const TIMESTAMP_HEADER = 'X-Rbee-Timestamp';
export const EVENT_HEADER = 'X-Rbee-Event';
export const DELIVERY_HEADER = 'X-Rbee-Delivery';

/** How far a receiver's clock and the timestamp may differ by default (5 minutes). */
export const DEFAULT_TOLERANCE_S = 300;

const enc = new TextEncoder();

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The signature header's value for a body sent at `timestamp` (Unix seconds).
 * @example await signWebhook('s3cret…', '{"event":"ping"}', 1767225600) // 'v1=9f2c…'
 */
export async function signWebhook(secret: string, body: string, timestamp: number) {
  return `v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

/** Why a delivery was refused by verifyWebhook, or null when it is genuine and fresh. */
export type WebhookVerdict = null | 'missing headers' | 'stale timestamp' | 'bad signature';

/**
 * Checks a received delivery: the signature over the timestamp and the exact body bytes
 * (read the body as text before parsing it), compared in constant time, and the timestamp
 * within `toleranceS` of `nowS`. Deduplicate on `X-Rbee-Delivery`: a retry carries the same id.
 * @example
 * const verdict = await verifyWebhook(secret, await req.text(), req.headers);
 * if (verdict) return new Response(verdict, { status: 401 });
 */
export async function verifyWebhook(
  secret: string,
  body: string,
  headers: { get(name: string): string | null },
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = DEFAULT_TOLERANCE_S,
): Promise<WebhookVerdict> {
  const signature = headers.get(SIGNATURE_HEADER);
  const stamp = headers.get(TIMESTAMP_HEADER);
  if (!signature || !stamp || !/^\d{1,12}$/.test(stamp)) return 'missing headers';
  if (Math.abs(nowS - Number(stamp)) > toleranceS) return 'stale timestamp';
  const expected = await signWebhook(secret, body, Number(stamp));
  if (expected.length !== signature.length) return 'bad signature';
  let diff = 0;
  for (let i = 0; i < expected.length; i++)
    diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i);
  return diff === 0 ? null : 'bad signature';
}
