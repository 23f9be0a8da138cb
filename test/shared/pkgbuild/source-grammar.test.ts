/**
 * parseSource against makepkg's own functions (util/source.sh and the ref parsing of each
 * source/<vcs>.sh), run in one bash process over generated source entries.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseSource } from '../../../shared/pkgbuild/index.ts';

const segment = fc.stringMatching(/^[a-z0-9._-]{1,8}$/);
const entry = fc
  .record({
    rename: fc.option(segment),
    scheme: fc.constantFrom(
      'https',
      'http',
      'ftp',
      'file',
      'git+https',
      'git',
      'hg+https',
      'svn+ssh',
      'bzr',
      'fossil+https',
      'git+ssh',
      '',
    ),
    host: segment,
    path: fc.array(segment, { maxLength: 3 }),
    gitSuffix: fc.boolean(),
    slash: fc.boolean(),
    fragment: fc.option(
      fc.tuple(
        fc.constantFrom('branch', 'tag', 'commit', 'revision', 'bogus'),
        fc.stringMatching(/^[a-z0-9=._?-]{0,8}$/),
      ),
    ),
    query: fc.option(fc.stringMatching(/^[a-z0-9=&#]{0,8}$/)),
    lp: fc.boolean(),
  })
  .map((r) => {
    let url =
      r.scheme === ''
        ? [r.host, ...r.path].join('/')
        : `${r.scheme}://${r.host}/${r.path.join('/')}`;
    if (r.lp && r.scheme === 'bzr') url = `bzr+lp:${r.host}`;
    if (r.gitSuffix) url += '.git';
    if (r.slash) url += '/';
    if (r.fragment) url += `#${r.fragment[0]}=${r.fragment[1]}`;
    if (r.query !== null) url += `?${r.query}`;
    return r.rename === null ? url : `${r.rename}::${url}`;
  });

// One bash process runs makepkg's source functions on 806 entries: seconds when idle, over the
// default 60 s on a loaded machine.
test('parseSource reads entries exactly as makepkg does', () => {
  const entries = [
    ...fc.sample(entry, { numRuns: 800, seed: 20261127 }),
    'git+https://github.com/veighnsche/llama-orch.git#branch=main',
    'name::git+https://example.org/repo.git#tag=v1.0?signed',
    'hg+https://example.org/repo#branch=a=b?q',
    'bzr+lp:project#revision=a=b',
    'local-file.patch',
    'https://example.org/download?id=1#x',
  ];
  const r = spawnSync('bash', ['test/shared/pkgbuild/source-grammar.sh'], {
    input: `${entries.join('\0')}\0`,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  const records = r.stdout.split('\x1e').slice(0, -1);
  expect(records).toHaveLength(entries.length);
  entries.forEach((e, i) => {
    const [protocol, filename, fragment, query, kind, value, vcsFragment] =
      records[i]!.split('\x1f');
    const spec = parseSource(e);
    const vcs = spec.vcs ? { kind: spec.vcs.kind, value: spec.vcs.value } : undefined;
    const expected = {
      protocol,
      filename,
      fragment: fragment || undefined,
      query: query || undefined,
      vcs: spec.isVcs && vcsFragment ? { kind, value } : undefined,
    };
    expect({
      entry: e,
      protocol: spec.protocol,
      filename: spec.filename,
      fragment: spec.fragment || undefined,
      query: spec.query || undefined,
      vcs,
    }).toEqual({ entry: e, ...expected });
  });
}, 300_000);
