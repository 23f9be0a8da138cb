import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeFileAtomic } from '../../../agent/fs/atomic-write.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'rbee-atomic-'));

describe('writeFileAtomic', () => {
  test('replaces the whole file and leaves no temporary file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'a much longer first version\n');
    await writeFileAtomic(path, new TextEncoder().encode('short\n'));
    expect(await readFile(path, 'utf8')).toBe('short\n');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  test('many writers of one path at once: the file is one of them whole, no temp file left', async () => {
    const dir = await tempDir();
    const path = join(dir, 'capabilities.json');
    const versions = Array.from(
      { length: 20 },
      (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(i * 100) })}\n`,
    );
    await Promise.all(versions.map((text) => writeFileAtomic(path, text)));
    expect(versions).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['capabilities.json']);
  });

  test('a rename that fails removes its temporary file and says which path', async () => {
    const dir = await tempDir();
    const path = join(dir, 'taken');
    await mkdir(join(path, 'inside'), { recursive: true }); // a non-empty folder cannot be replaced
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow(/taken/);
    expect(await readdir(dir)).toEqual(['taken']);
  });
});
