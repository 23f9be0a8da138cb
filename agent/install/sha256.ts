import { createHash } from 'node:crypto';
import { openFileNoFollow } from '../fs/no-follow.ts';

/** The SHA-256 of a regular file, as lower-case hex; a symlink or a FIFO is refused, never followed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const { handle } = await openFileNoFollow(path);
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
