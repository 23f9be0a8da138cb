import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/edge-process.ts';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** The packages of one group, from the one list. */
function listed(group: string): string[] {
  return read('scripts/debian-packages.txt')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , ...groups]) => groups.includes(group))
    .map(([pkg]) => pkg!);
}

describe('the one list of Debian packages', () => {
  it.each(['test', 'start'])('the README quotes the %s group exactly', (group) => {
    const readme = read('README.md');
    const quoted = new RegExp(`<!-- debian:${group} -->\`([^\`]*)\`<!-- /debian -->`).exec(readme);
    expect(quoted, `README has no <!-- debian:${group} --> quote`).not.toBeNull();
    expect(quoted![1]!.split(/\s+/)).toEqual(listed(group));
  });

  it('every package has a command to check it by and at least one group', () => {
    for (const line of read('scripts/debian-packages.txt').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      expect(line.trim().split(/\s+/).length, line).toBeGreaterThanOrEqual(3);
    }
  });

  it('.ci/run and the bootstrap read the list instead of keeping their own', () => {
    expect(read('.ci/run')).toContain('scripts/debian-packages.txt');
    expect(read('.ci/run')).not.toMatch(/packages=\(\w/);
    expect(read('scripts/bootstrap.mjs')).toContain("'debian-packages.txt'");
    expect(read('scripts/bootstrap.mjs')).not.toMatch(/\['makepkg', 'makepkg'\]/);
  });

  it('the test group is a superset of the start group', () => {
    const test = new Set(listed('test'));
    for (const pkg of listed('start')) expect(test.has(pkg), pkg).toBe(true);
  });
});
