import { lstat } from 'node:fs/promises';
import { parseSource } from '../../../shared/pkgbuild/source.ts';
import type { BuildContext } from '../build-context.ts';
import type { ChecksumResult } from '../events/build-event.ts';
import { HASH_ALGORITHMS, type PkgbuildInfo } from '../metadata/pkgbuild-info.ts';
import { probeAsBuildUser } from '../process/probe-as-build-user.ts';
import { openPlainFile } from '../sandbox/no-follow.ts';
import { hashFile } from './hash-file.ts';
import { sourcePath } from './source-path.ts';

export type ChecksumOutcome = {
  results: ChecksumResult[];
  /** makepkg's error, when the check fails. */
  error?: string;
};

/**
 * makepkg's check_checksums for the build's CARCH: every known algorithm against `source`
 * and `source_$CARCH`, `SKIP` skipped, an algorithm whose array differs in length from its
 * source array is an error, and every non-empty source array needs at least one checksum
 * array. The first algorithm with a failing file stops the check, as in makepkg.
 */
export async function verifyChecksums(
  ctx: BuildContext,
  info: PkgbuildInfo,
  startdir: string,
): Promise<ChecksumOutcome> {
  const results: ChecksumResult[] = [];
  // Source arrays that need some checksum array: a non-empty `source`, and a declared
  // `source_$CARCH` (makepkg tests the first for length, the second for existence).
  const needsSums = new Set<string>();
  if ((info.arrays.get('source') ?? []).length > 0) needsSums.add('source');
  if (info.arrays.get(`source_${info.carch}`) !== undefined) needsSums.add(`source_${info.carch}`);
  for (const algorithm of HASH_ALGORITHMS) {
    for (const [sums, sourcesName] of [
      [`${algorithm}sums`, 'source'],
      [`${algorithm}sums_${info.carch}`, `source_${info.carch}`],
    ] as const) {
      const expected = info.arrays.get(sums) ?? [];
      const sources = info.arrays.get(sourcesName) ?? [];
      if (expected.length === 0 && sources.length === 0) continue;
      if (expected.length !== sources.length) {
        if (expected.length === 0) continue;
        return {
          results,
          error: `Integrity checks (${algorithm}) differ in size from the source array.`,
        };
      }
      needsSums.delete(sourcesName);
      const failed: string[] = [];
      for (let i = 0; i < sources.length; i++) {
        const result = await checkOne(ctx, sources[i]!, algorithm, expected[i]!, startdir);
        results.push(result);
        if (result.result === 'FAILED' || result.result === 'NOT FOUND') {
          failed.push(`${result.file}: ${algorithm}sums ${result.result}`);
        }
      }
      if (failed.length) {
        return {
          results,
          error: `One or more files did not pass the validity check! (${failed.join(', ')})`,
        };
      }
    }
  }
  if (needsSums.size) {
    return { results, error: `Integrity checks are missing for: ${[...needsSums].join(' ')}` };
  }
  return { results };
}

async function checkOne(
  ctx: BuildContext,
  entry: string,
  algorithm: string,
  expected: string,
  startdir: string,
): Promise<ChecksumResult> {
  const spec = parseSource(entry);
  const file = spec.filename;
  if (expected === 'SKIP') return { file, algorithm, result: 'Skipped' };
  const path = sourcePath(startdir, spec);
  const found = await lstat(path).catch(() => undefined);
  let actual: string | undefined;
  if (found?.isSymbolicLink()) actual = await hashAsBuildUser(ctx, path, algorithm, startdir);
  else if (found?.isFile()) {
    const handle = await openPlainFile(path);
    if (handle !== undefined) actual = await hashFile(handle, algorithm);
  }
  if (actual === undefined) return { file, algorithm, result: 'NOT FOUND' };
  return { file, algorithm, result: expected.toLowerCase() === actual ? 'Passed' : 'FAILED' };
}

/**
 * A source that is a link is hashed by the build user with `${algorithm}sum`, as makepkg
 * does, so root never reads through a link the build may have planted.
 */
async function hashAsBuildUser(
  ctx: BuildContext,
  path: string,
  algorithm: string,
  startdir: string,
): Promise<string | undefined> {
  const program = algorithm === 'ck' ? 'cksum' : `${algorithm}sum`;
  const res = await probeAsBuildUser(ctx, program, ['--', path], startdir);
  if (res.failed) return undefined;
  return res.stdout.split(/\s/)[0];
}
