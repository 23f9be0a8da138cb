import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseSource } from '../../../shared/pkgbuild/source.ts';
import type { ChecksumResult } from '../events/build-event.ts';
import { HASH_ALGORITHMS, type PkgbuildInfo } from '../metadata/pkgbuild-info.ts';
import { sourcePath } from './retrieve-sources.ts';

/** Node's names for makepkg's `${algo}sum` programs; `ck` is POSIX cksum, done by hand. */
const NODE_HASH: Record<string, string> = {
  md5: 'md5',
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  b2: 'blake2b512',
};

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

/** The first field of `${algorithm}sum FILE`. */
export async function hashFile(path: string, algorithm: string): Promise<string> {
  if (algorithm === 'ck') return String(await cksum(path));
  const hash = createHash(NODE_HASH[algorithm]!);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** POSIX cksum: CRC-32 (polynomial 0x04C11DB7, MSB first) over the data and then its length. */
async function cksum(path: string): Promise<number> {
  let crc = 0;
  let length = 0;
  const step = (byte: number) => {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  };
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    length += buf.length;
    for (let i = 0; i < buf.length; i++) step(buf[i]!);
  }
  for (let n = length; n > 0; n = Math.floor(n / 256)) step(n % 256);
  return ~crc >>> 0;
}
