import { stat } from 'node:fs/promises';
import { parseSource } from '../../../shared/pkgbuild/source.ts';
import type { ChecksumResult } from '../events/build-event.ts';
import { HASH_ALGORITHMS, type PkgbuildInfo } from '../metadata/pkgbuild-info.ts';
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
        const result = await checkOne(sources[i]!, algorithm, expected[i]!, startdir);
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
  entry: string,
  algorithm: string,
  expected: string,
  startdir: string,
): Promise<ChecksumResult> {
  const spec = parseSource(entry);
  const file = spec.filename;
  if (expected === 'SKIP') return { file, algorithm, result: 'Skipped' };
  const path = sourcePath(startdir, spec);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return { file, algorithm, result: 'NOT FOUND' };
  const actual = await hashFile(path, algorithm);
  return { file, algorithm, result: expected.toLowerCase() === actual ? 'Passed' : 'FAILED' };
}
