import { z } from 'zod';

/**
 * Ed25519 keys and signatures over WebCrypto only, so the same code runs on Node, Deno and
 * Deploy. Keys travel as PEM (PKCS#8 private, SPKI public: what `openssl pkey` reads too).
 */

const ED25519 = { name: 'Ed25519' } as const;

/** A key or signature could not be read or did not verify; `rule` names what was broken. */
export class SignatureError extends Error {
  override name = 'SignatureError';
  constructor(
    readonly rule: 'BAD_KEY' | 'UNTRUSTED_KEY' | 'BAD_SIGNATURE' | 'BAD_ENVELOPE',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** SHA-256 of bytes (or of a string's UTF-8), as lower-case hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)));
}

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(toBase64(der).match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

function unpem(label: string, text: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(text);
  if (!match) throw new SignatureError('BAD_KEY', `not a PEM "${label}" block`);
  try {
    return fromBase64(match[1]!.replace(/\s+/g, ''));
  } catch {
    throw new SignatureError('BAD_KEY', `the PEM "${label}" block is not base64`);
  }
}

/** A public key the agent trusts, with the id statements name it by. */
export type PublicKey = { id: string; key: CryptoKey; pem: string };
export type KeyPair = { id: string; privatePem: string; publicPem: string };

/** The key id: the first 16 hex digits of the SHA-256 of the raw 32-byte public key. */
async function keyId(key: CryptoKey): Promise<string> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key));
  return (await sha256Hex(raw)).slice(0, 16);
}

/**
 * Makes a fresh Ed25519 key pair as PEM text.
 * @example const { privatePem, publicPem, id } = await generateKeyPair();
 */
export async function generateKeyPair(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  return {
    id: await keyId(pair.publicKey),
    privatePem: pem('PRIVATE KEY', pkcs8),
    publicPem: pem('PUBLIC KEY', spki),
  };
}

/** Reads a public key file's text (SPKI PEM). */
export async function readPublicKey(text: string): Promise<PublicKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      'spki',
      unpem('PUBLIC KEY', text) as BufferSource,
      ED25519,
      true,
      ['verify'],
    );
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw new SignatureError('BAD_KEY', `not an Ed25519 public key: ${(error as Error).message}`);
  }
  return { id: await keyId(key), key, pem: text };
}

/** A private key for signing, with the id of its public half. */
export type SigningKey = { id: string; key: CryptoKey };

/** Reads a private key file's text (PKCS#8 PEM); its public half gives the id. */
export async function readPrivateKey(text: string): Promise<SigningKey> {
  const der = unpem('PRIVATE KEY', text);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('pkcs8', der as BufferSource, ED25519, true, ['sign']);
  } catch (error) {
    throw new SignatureError('BAD_KEY', `not an Ed25519 private key: ${(error as Error).message}`);
  }
  // WebCrypto has no "public half of" call: the JWK of a private OKP key carries x.
  const jwk = await crypto.subtle.exportKey('jwk', key);
  const pub = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
    ED25519,
    true,
    ['verify'],
  );
  return { id: await keyId(pub), key };
}

/** What `rbee catalog sign` writes and the edge serves: the exact signed bytes and the signature. */
export const signedEnvelopeSchema = z
  .object({
    /** The statement as JSON text: the signature covers exactly these UTF-8 bytes. */
    payload: z
      .string()
      .min(2)
      .max(1024 * 1024),
    key_id: z.string().regex(/^[0-9a-f]{16}$/),
    /** Ed25519 over the payload's UTF-8 bytes, base64. */
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
  })
  .strict();
export type SignedEnvelope = z.infer<typeof signedEnvelopeSchema>;

/** Signs a payload text. */
export async function signPayload(payload: string, signer: SigningKey): Promise<SignedEnvelope> {
  const sig = await crypto.subtle.sign(
    ED25519,
    signer.key,
    new TextEncoder().encode(payload) as BufferSource,
  );
  return { payload, key_id: signer.id, signature: toBase64(new Uint8Array(sig)) };
}

/**
 * Checks an envelope against the trusted keys and returns its payload text. Throws a
 * SignatureError naming the rule: BAD_ENVELOPE, UNTRUSTED_KEY or BAD_SIGNATURE.
 */
export async function verifyEnvelope(raw: unknown, trusted: PublicKey[]): Promise<SignedEnvelope> {
  const parsed = signedEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SignatureError(
      'BAD_ENVELOPE',
      `the signature file is not a signed statement (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    );
  }
  const envelope = parsed.data;
  const key = trusted.find((k) => k.id === envelope.key_id);
  if (!key) {
    throw new SignatureError(
      'UNTRUSTED_KEY',
      `signed by key ${envelope.key_id}, which is not a trusted key (trusted: ${trusted.map((k) => k.id).join(', ') || 'none'})`,
    );
  }
  const ok = await crypto.subtle.verify(
    ED25519,
    key.key,
    fromBase64(envelope.signature) as BufferSource,
    new TextEncoder().encode(envelope.payload) as BufferSource,
  );
  if (!ok) {
    throw new SignatureError(
      'BAD_SIGNATURE',
      `the signature by key ${key.id} does not match the statement`,
    );
  }
  return envelope;
}
