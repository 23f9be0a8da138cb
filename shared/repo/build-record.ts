import { z } from 'zod';
import { workerIdSchema } from '../catalog/schema.ts';
import {
  type PublicKey,
  readPublicKey,
  SignatureError,
  type SignedEnvelope,
  type SigningKey,
  signedEnvelopeSchema,
  signPayload,
  verifyEnvelope,
} from '../catalog/signature.ts';
import { sha256HexSchema } from './package-record.ts';

/**
 * Who may fill the package cache, and what they vouch for. A builder hive signs the record of
 * each build with a key of its own; the fleet's admins sign the set of builder keys with the
 * fleet key (the catalog's). An agent installs a cached package only when the record verifies
 * against a builder in a set a key it trusts signed, so the edge cannot pass off its own.
 */
export const BUILD_RECORD_FORMAT = 'rbee-build-record/1';
export const BUILDER_SET_FORMAT = 'rbee-builders/1';

const keyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a key id is 16 lower-case hex digits');

/** A package file as its builder signed it (the edge's record adds .PKGINFO and MD5 for pacman). */
export const signedFileSchema = z
  .object({
    pkgname: z.string().min(1).max(128),
    filename: z.string().min(1).max(255),
    arch: z.string().min(1).max(32),
    sha256: sha256HexSchema,
    size: z.number().int().nonnegative(),
  })
  .strict();
export type SignedFile = z.infer<typeof signedFileSchema>;

/** What a builder signs after a build: the cache key, what it built, where and when. */
export const buildRecordSchema = z
  .object({
    format: z.literal(BUILD_RECORD_FORMAT),
    key: sha256HexSchema,
    worker: workerIdSchema,
    version: z.string().min(1).max(160),
    /** The builder's hive id. */
    hive: z.string().min(1).max(64),
    job: z.string().max(64),
    built_at: z.number().int().nonnegative(),
    files: z.array(signedFileSchema).min(1).max(64),
  })
  .strict();
export type BuildRecord = z.infer<typeof buildRecordSchema>;

/** One builder the admins trust: its hive and the public key it registered. */
export const builderEntrySchema = z
  .object({
    hive: z.string().min(1).max(64),
    name: z.string().max(128),
    key_id: keyIdSchema,
    /** SPKI PEM. */
    public_key: z.string().min(1).max(4096),
  })
  .strict();
export type BuilderEntry = z.infer<typeof builderEntrySchema>;

/** What `rbee builders sign` signs with the fleet key. */
export const builderSetSchema = z
  .object({
    format: z.literal(BUILDER_SET_FORMAT),
    builders: z.array(builderEntrySchema).max(10_000),
    signed_at: z.number().int().nonnegative(),
  })
  .strict();
export type BuilderSet = z.infer<typeof builderSetSchema>;

/** A build record or builder set that does not hold; `rule` is the stable code. */
export class BuildRecordError extends Error {
  override name = 'BuildRecordError';
  constructor(
    readonly rule:
      | 'NO_BUILDER_SET'
      | 'BAD_BUILDER_SET'
      | 'UNSIGNED_RECORD'
      | 'BAD_RECORD'
      | 'UNKNOWN_BUILDER'
      | 'BUILDER_MISMATCH'
      | 'BAD_RECORD_SIGNATURE'
      | 'RECORD_MISMATCH',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/** The same files, in the same order, with the same names, sizes and sums. */
export function sameFiles(a: readonly SignedFile[], b: readonly SignedFile[]): boolean {
  const pick = (f: SignedFile) => [f.pkgname, f.filename, f.arch, f.sha256, f.size].join('\0');
  return a.length === b.length && a.every((f, i) => pick(f) === pick(b[i]!));
}

/**
 * Signs a build record with the builder's key.
 * @example const signed = await signBuildRecord({ key, worker, …, files }, builderKey);
 */
export function signBuildRecord(
  record: Omit<BuildRecord, 'format'>,
  key: SigningKey,
): Promise<SignedEnvelope> {
  return signPayload(JSON.stringify({ format: BUILD_RECORD_FORMAT, ...record }), key);
}

/** Signs the set of builder keys with the fleet key (`rbee builders sign`). */
export function signBuilderSet(
  builders: BuilderEntry[],
  fleetKey: SigningKey,
  now: number,
): Promise<SignedEnvelope> {
  const set: BuilderSet = { format: BUILDER_SET_FORMAT, builders, signed_at: now };
  return signPayload(JSON.stringify(set), fleetKey);
}

function parsePayload<T>(schema: z.ZodType<T>, text: string, rule: BuildRecordError['rule']): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BuildRecordError(rule, `the payload is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BuildRecordError(
      rule,
      `the payload breaks its schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Reads a builder set's payload without checking who signed it (the edge, which has no fleet key). */
export function readBuilderSet(envelope: SignedEnvelope): BuilderSet {
  return parsePayload(builderSetSchema, envelope.payload, 'BAD_BUILDER_SET');
}

/** Reads a signed build record's payload without checking the signature. */
export function readBuildRecord(envelope: SignedEnvelope): BuildRecord {
  return parsePayload(buildRecordSchema, envelope.payload, 'BAD_RECORD');
}

/** Checks a record's signature against one public key (the edge, on upload, with the registered key). */
export async function verifyRecordWith(
  envelope: SignedEnvelope,
  key: PublicKey,
): Promise<BuildRecord> {
  try {
    await verifyEnvelope(envelope, [key]);
  } catch (error) {
    if (error instanceof SignatureError)
      throw new BuildRecordError('BAD_RECORD_SIGNATURE', error.message);
    throw error;
  }
  return readBuildRecord(envelope);
}

export type TrustedBuild = { record: BuildRecord; builder: BuilderEntry; setKey: string };

/**
 * What an agent checks before it installs a cached package: the builder set is signed by a
 * key it trusts, the record is signed by a builder of that set, the builder is the hive the
 * record names, and the record is for the cache key and worker the agent computed. Returns
 * the signed record (its files are what the downloads must match). Every refusal names its rule.
 * @example const { record } = await verifyBuild({ record: env, builders: set, trusted, key, worker });
 */
export async function verifyBuild(input: {
  record: unknown;
  builders: unknown;
  trusted: PublicKey[];
  key: string;
  worker: string;
}): Promise<TrustedBuild> {
  if (input.builders === null || input.builders === undefined)
    throw new BuildRecordError(
      'NO_BUILDER_SET',
      'the edge has no builder set signed by the fleet key: admins sign one with rbee builders sign --key FLEET.key',
    );
  let setEnvelope: SignedEnvelope;
  try {
    setEnvelope = await verifyEnvelope(input.builders, input.trusted);
  } catch (error) {
    if (error instanceof SignatureError)
      throw new BuildRecordError('BAD_BUILDER_SET', `the builder set: ${error.message}`);
    throw error;
  }
  const set = readBuilderSet(setEnvelope);
  const envelope = signedEnvelopeSchema.safeParse(input.record);
  if (!envelope.success)
    throw new BuildRecordError(
      'UNSIGNED_RECORD',
      'the cached build has no signed record from its builder',
    );
  const builder = set.builders.find((b) => b.key_id === envelope.data.key_id);
  if (!builder)
    throw new BuildRecordError(
      'UNKNOWN_BUILDER',
      `the build record is signed by key ${envelope.data.key_id}, which is not in the builder set signed by key ${setEnvelope.key_id} (builders: ${set.builders.map((b) => `${b.name} ${b.key_id}`).join(', ') || 'none'})`,
    );
  const publicKey = await readPublicKey(builder.public_key).catch((error: Error) => {
    throw new BuildRecordError('BAD_BUILDER_SET', `builder ${builder.name}: ${error.message}`);
  });
  if (publicKey.id !== builder.key_id)
    throw new BuildRecordError(
      'BAD_BUILDER_SET',
      `builder ${builder.name}'s key is ${publicKey.id}, the set says ${builder.key_id}`,
    );
  const record = await verifyRecordWith(envelope.data, publicKey);
  if (record.hive !== builder.hive)
    throw new BuildRecordError(
      'BUILDER_MISMATCH',
      `the record says hive ${record.hive} built it, but key ${builder.key_id} is hive ${builder.hive}'s`,
    );
  if (record.key !== input.key || record.worker !== input.worker)
    throw new BuildRecordError(
      'RECORD_MISMATCH',
      `the signed record is for ${record.worker} under key ${record.key}, this install is ${input.worker} under key ${input.key}`,
    );
  return { record, builder, setKey: setEnvelope.key_id };
}
