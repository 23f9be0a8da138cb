import { z } from 'zod';
import type { Pkgbuild, SourceSpec } from '../pkgbuild/index.ts';
import { HASH_ALGOS } from '../pkgbuild/schema.ts';
import { workerIdSchema } from './schema.ts';
import {
  type PublicKey,
  type SignedEnvelope,
  type SigningKey,
  sha256Hex,
  signPayload,
  verifyEnvelope,
} from './signature.ts';

/** The file a signed statement is kept in, beside a worker's PKGBUILD. */
export const STATEMENT_FILE = 'statement.json';
export const STATEMENT_FORMAT = 'rbee-catalog-statement/1';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');

/**
 * What the fleet's key vouches for: one worker at one version, the exact bytes of its PKGBUILD
 * and of every file the PKGBUILD names, and the commit of each VCS source.
 */
export const statementSchema = z
  .object({
    format: z.literal(STATEMENT_FORMAT),
    worker: workerIdSchema,
    version: z.string().min(1).max(128),
    pkgbuild: sha256,
    /** Local files by name (sources, install and changelog scripts). */
    files: z.record(z.string().max(128), sha256),
    /** Each VCS source as written, with the commit it is pinned to. */
    vcs: z.array(z.object({ source: z.string().max(4096), commit: z.string().max(128) })).max(64),
    /** Signed with `--unpinned`: some source is not pinned (the agent says so on every job). */
    unpinned: z.boolean(),
    signed_at: z.number().int().nonnegative(),
    /** Milliseconds since the epoch after which no agent accepts it; null: never. */
    expires_at: z.number().int().positive().nullable(),
  })
  .strict();
export type Statement = z.infer<typeof statementSchema>;

/** A statement could not be made or does not hold; `rule` is the stable code. */
export class StatementError extends Error {
  override name = 'StatementError';
  constructor(
    readonly rule:
      | 'UNPINNED_SOURCE'
      | 'BAD_STATEMENT'
      | 'STATEMENT_EXPIRED'
      | 'WRONG_WORKER'
      | 'WRONG_VERSION'
      | 'PKGBUILD_CHANGED'
      | 'FILE_CHANGED'
      | 'FILE_UNSIGNED'
      | 'STATEMENT_DIGEST',
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/** Every source list of a PKGBUILD with its checksum arrays: `source` and each `source_<arch>`. */
function sourceLists(p: Pkgbuild): Array<{ label: string; specs: SourceSpec[]; sums: string[][] }> {
  const arrays = (get: (name: string) => string[] | undefined) =>
    HASH_ALGOS.map((a) => get(`${a}sums`)).filter((s): s is string[] => Array.isArray(s));
  const lists = [
    {
      label: 'source',
      specs: p.sources,
      sums: arrays((n) => {
        const v = p.fields[n];
        return Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
      }),
    },
  ];
  for (const [arch, specs] of Object.entries(p.archSources)) {
    lists.push({
      label: `source_${arch}`,
      specs,
      sums: arrays((n) => p.archFields[arch]?.[n]),
    });
  }
  return lists;
}

/** The names of the local files a PKGBUILD needs: local sources, install and changelog. */
export function localFiles(p: Pkgbuild): string[] {
  const named = new Set<string>();
  for (const { specs } of sourceLists(p))
    for (const s of specs) if (s.isLocal) named.add(s.filename);
  for (const key of ['install', 'changelog']) {
    const value = p.fields[key];
    if (typeof value === 'string' && value) named.add(value);
  }
  return [...named].sort();
}

/**
 * The pinning rule: a VCS source needs `#commit=`, any other non-local source a checksum other
 * than SKIP. Returns the broken rules, one line each; empty when everything is pinned.
 */
export function unpinnedSources(p: Pkgbuild): string[] {
  const wrong: string[] = [];
  for (const { label, specs, sums } of sourceLists(p)) {
    specs.forEach((spec, i) => {
      if (spec.isVcs) {
        if (spec.vcs?.kind !== 'commit' || !/^[0-9a-f]{7,64}$/.test(spec.vcs.value)) {
          wrong.push(
            `${label}: ${spec.raw} is a VCS source without #commit=<hash> (a branch or tag can move)`,
          );
        }
        return;
      }
      if (!sums.some((s) => s[i] !== undefined && s[i] !== 'SKIP')) {
        wrong.push(`${label}: ${spec.raw} has no checksum (SKIP or missing)`);
      }
    });
  }
  return wrong;
}

export type StatementInput = {
  worker: string;
  version: string;
  pkgbuildBytes: Uint8Array;
  parsed: Pkgbuild;
  /** The bytes of each file `localFiles(parsed)` names. */
  files: Map<string, Uint8Array>;
  /** Allow unpinned sources (recorded in the statement). */
  unpinned?: boolean;
  now: number;
  /** How long the statement holds, in milliseconds; null: no expiry. */
  validForMs: number | null;
};

/**
 * Builds and signs one worker's statement. Refuses (UNPINNED_SOURCE) a source that is not
 * pinned unless `unpinned` is set.
 * @example const env = await signStatement({ worker, version, pkgbuildBytes, parsed, files, now: Date.now(), validForMs: null }, key);
 */
export async function signStatement(
  input: StatementInput,
  key: SigningKey,
): Promise<SignedEnvelope> {
  const wrong = unpinnedSources(input.parsed);
  if (wrong.length > 0 && !input.unpinned) {
    throw new StatementError(
      'UNPINNED_SOURCE',
      `${input.worker}: ${wrong.join('; ')} (pin it, or sign with --unpinned ${input.worker})`,
    );
  }
  const files: Record<string, string> = {};
  for (const name of localFiles(input.parsed)) {
    const bytes = input.files.get(name);
    if (!bytes) throw new StatementError('FILE_UNSIGNED', `${input.worker}: ${name} is missing`);
    files[name] = await sha256Hex(bytes);
  }
  const vcs = sourceLists(input.parsed).flatMap(({ specs }) =>
    specs
      .filter((s) => s.isVcs && s.vcs?.kind === 'commit')
      .map((s) => ({ source: s.raw, commit: s.vcs!.value })),
  );
  const statement: Statement = {
    format: STATEMENT_FORMAT,
    worker: input.worker,
    version: input.version,
    pkgbuild: await sha256Hex(input.pkgbuildBytes),
    files,
    vcs,
    unpinned: wrong.length > 0,
    signed_at: input.now,
    expires_at: input.validForMs === null ? null : input.now + input.validForMs,
  };
  return signPayload(JSON.stringify(statement), key);
}

/** The digest jobs carry to name a statement: sha256 of its payload's UTF-8 bytes. */
export function statementDigest(envelope: SignedEnvelope): Promise<string> {
  return sha256Hex(envelope.payload);
}

/**
 * Verifies an envelope against the trusted keys and parses its statement; checks its expiry
 * and that it is the statement of `worker` at `version`.
 */
export async function openStatement(
  raw: unknown,
  trusted: PublicKey[],
  expect: { worker: string; version: string; now: number },
): Promise<{ statement: Statement; envelope: SignedEnvelope; digest: string }> {
  const envelope = await verifyEnvelope(raw, trusted);
  let statement: Statement;
  try {
    statement = statementSchema.parse(JSON.parse(envelope.payload));
  } catch (error) {
    throw new StatementError(
      'BAD_STATEMENT',
      `the signed payload is not a catalog statement: ${(error as Error).message.slice(0, 300)}`,
    );
  }
  if (statement.worker !== expect.worker) {
    throw new StatementError(
      'WRONG_WORKER',
      `the statement is for ${statement.worker}, the job is for ${expect.worker}`,
    );
  }
  if (statement.version !== expect.version) {
    throw new StatementError(
      'WRONG_VERSION',
      `the statement signs version ${statement.version}, the catalog serves ${expect.version}`,
    );
  }
  if (statement.expires_at !== null && statement.expires_at <= expect.now) {
    throw new StatementError(
      'STATEMENT_EXPIRED',
      `the statement for ${statement.worker} expired at ${new Date(statement.expires_at).toISOString()}`,
    );
  }
  return { statement, envelope, digest: await statementDigest(envelope) };
}
