import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

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

/** The first field of `${algorithm}sum FILE`, for a file already opened; closes it. */
export async function hashFile(handle: FileHandle, algorithm: string): Promise<string> {
  if (algorithm === 'ck') return String(await cksum(handle));
  const hash = createHash(NODE_HASH[algorithm]!);
  for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
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
async function cksum(handle: FileHandle): Promise<number> {
  let crc = 0;
  let length = 0;
  const step = (byte: number) => {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  };
  for await (const chunk of handle.createReadStream()) {
    const buf = chunk as Buffer;
    length += buf.length;
    for (let i = 0; i < buf.length; i++) step(buf[i]!);
  }
  for (let n = length; n > 0; n = Math.floor(n / 256)) step(n % 256);
  return ~crc >>> 0;
}
