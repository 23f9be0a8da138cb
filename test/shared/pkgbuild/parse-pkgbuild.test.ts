/** The structured result the agent and the edge use, beyond the printed .SRCINFO. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { packageFields, parsePkgbuild } from '../../../shared/pkgbuild/index.ts';

const fixture = (name: string) =>
  readFileSync(`test/fixtures/pkgbuild/ok/${name}/PKGBUILD`, 'utf8');

test('split packages expose pkgbase, names, overrides and per-arch values', () => {
  const p = parsePkgbuild(fixture('split-per-arch'), { carch: 'x86_64' });
  expect(p.pkgbase).toBe('perarch');
  expect(p.pkgnames).toEqual(['perarch-a', 'perarch-b']);
  expect(p.fields.depends).toEqual(['common']);
  expect(p.archFields.x86_64?.depends).toEqual(['x86-lib']);
  expect(p.archFields.aarch64?.source).toEqual(['https://example.org/aarch64/bin-1.tar.gz']);
  const [a, b] = p.packages;
  expect(a).toEqual({
    name: 'perarch-a',
    functionName: 'package_perarch-a',
    arch: ['x86_64', 'aarch64'],
    overrides: { depends_x86_64: ['x86-lib', 'a-x86'], optdepends_aarch64: ['a: arm'] },
  });
  expect(b?.arch).toEqual(['x86_64']);
  expect(b?.overrides).toEqual({
    arch: ['x86_64'],
    depends_x86_64: [],
    provides_x86_64: ['b-x86'],
  });
});

test('packageFields merges global values, overrides and the carch arrays like makepkg', () => {
  const p = parsePkgbuild(fixture('split-per-arch'), { carch: 'x86_64' });
  const a = packageFields(p, 'perarch-a', 'x86_64');
  expect(a.depends).toEqual(['common', 'x86-lib', 'a-x86']);
  expect(a.makedepends).toEqual(['nasm']);
  expect(a.pkgname).toBe('perarch-a');
  expect(packageFields(p, 'perarch-b', 'x86_64').depends).toEqual(['common']);
  expect(packageFields(p, 'perarch-a', 'aarch64').depends).toEqual(['common', 'arm-lib']);
  expect(packageFields(p, 'perarch-a').depends).toEqual(['common']);
  expect(() => packageFields(p, 'nope')).toThrow('Cannot find package nope');
});

test('packageFields gives the backup files and version of each split package', () => {
  const p = parsePkgbuild(fixture('backup-options-override'), { carch: 'x86_64' });
  expect(packageFields(p, 'bo-a').backup).toEqual(['etc/bo.conf', 'etc/bo-a.conf']);
  expect(packageFields(p, 'bo-b').backup).toEqual(['etc/bo.conf']);
  expect(packageFields(p, 'bo-b').options).toEqual(['!strip', '!emptydirs']);
  expect(packageFields(p, 'bo-a').pkgver).toBe('1');
});

test('an empty override is kept as an empty value, as makepkg prints `key = `', () => {
  const p = parsePkgbuild(fixture('split-empty-overrides'), { carch: 'x86_64' });
  expect(p.packages[0]?.overrides).toEqual({
    pkgdesc: '',
    url: '',
    install: '',
    depends: [],
    backup: [],
  });
  expect(packageFields(p, 'emptyov-one').depends).toEqual([]);
});

test('sources are parsed with makepkg source grammar, VCS fragments included', () => {
  const p = parsePkgbuild(fixture('sources-vcs'), { carch: 'x86_64' });
  const [git, renamed, commit, plain, file, ftp, query, local] = p.sources;
  expect(git).toMatchObject({
    protocol: 'git',
    transport: 'https',
    filename: 'project',
    vcs: { kind: 'branch', value: 'main' },
    isVcs: true,
  });
  expect(renamed).toMatchObject({
    rename: 'other',
    filename: 'other',
    vcs: { kind: 'tag', value: 'v1.0' },
  });
  expect(commit).toMatchObject({ vcs: { kind: 'commit', value: '0123abc' }, query: 'signed' });
  expect(plain).toMatchObject({ protocol: 'git', filename: 'plain' });
  expect(file).toMatchObject({ protocol: 'file', filename: 'file.tar.gz' });
  expect(ftp).toMatchObject({ protocol: 'ftp' });
  expect(query).toMatchObject({ filename: 'renamed.tar.gz', protocol: 'https', query: 'id=1' });
  expect(local).toMatchObject({ protocol: 'local', isLocal: true, filename: 'local-file.txt' });
});

test('per-arch sources are parsed per architecture', () => {
  const p = parsePkgbuild(fixture('split-per-arch'), { carch: 'x86_64' });
  expect(p.archSources.x86_64?.map((s) => s.filename)).toEqual(['bin-1.tar.gz']);
  expect(p.sources.map((s) => s.isLocal)).toEqual([true]);
});

test('functions are recorded by name with their bodies as written, in both forms', () => {
  const p = parsePkgbuild(fixture('function-forms'));
  expect(Object.keys(p.functions).sort()).toEqual(['build', 'check', 'package', 'prepare']);
  expect(p.functions.check).toEqual({ name: 'check', body: '{ true; }', line: 14, column: 1 });
  expect(p.functions.build?.body).toBe(
    '{\n  case "$x" in\n    a) echo a ;;\n    *) echo "b)" ;;\n  esac\n}',
  );
  expect(p.functions.package?.body).toContain('depends=(not-an-override)\n}\nEOF');
});

test('string and array fields keep their kind; epoch, pkgver and pkgrel are at hand', () => {
  const p = parsePkgbuild(fixture('all-fields'), { carch: 'x86_64' });
  expect(p.epoch).toBe('2');
  expect(p.pkgver).toBe('1.0.0');
  expect(p.pkgrel).toBe('3');
  expect(p.fields.pkgdesc).toBe('Every field');
  expect(p.fields.license).toEqual(['MIT', 'Apache-2.0']);
  expect(p.fields.validpgpkeys).toEqual(['ABCDEF0123456789ABCDEF0123456789ABCDEF01']);
});

test('expansion operators evaluate as bash does', () => {
  const p = parsePkgbuild(fixture('expansion-case-length-substring'));
  expect(p.fields.groups).toEqual([
    'MIXEDCASE',
    'mixedCase',
    'Abcdefgh',
    'len8',
    'cdefgh',
    'cde',
    'fgh',
    'de',
    'bcdef',
    'x',
  ]);
  expect(p.pkgnames).toEqual(['mixedcase']);
});

test('brace expansion covers lists, sequences, padding, steps and nesting', () => {
  const p = parsePkgbuild(fixture('brace-expansion'));
  expect(p.fields.groups).toEqual([
    'a-x',
    'b-x',
    'y1',
    'y2',
    'y3',
    'z01',
    'z04',
    'z07',
    'z10',
    'c',
    'd',
    'e',
    'x1',
    'x2',
    'y1',
    'y2',
    'pre',
    'pre-dev',
    '5',
    '3',
    '1',
    '{q,r}',
    '{s,t}',
    '{u}',
    'v',
    'w1',
    'w2',
  ]);
  expect(p.fields.license).toEqual(['{a,b}']);
});
