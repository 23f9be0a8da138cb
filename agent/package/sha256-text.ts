import { createHash } from 'node:crypto';

/** The SHA-256 of bytes or text, as lower-case hex. */
export function sha256Text(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
