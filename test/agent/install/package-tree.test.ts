import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InstallError } from '../../../agent/install/install-error.ts';
import { readJournals, undoJournal } from '../../../agent/install/install-journal.ts';
import { checkPackageTrees } from '../../../agent/install/package-tree.ts';
import { stageEntry } from '../../../agent/install/stage-file.ts';
import { Transaction } from '../../../agent/install/transaction.ts';
import { tempDir } from '../../support/edge-process.ts';

function tree(files: Record<string, string>) {
  const dir = tempDir('pkgtree');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function refusal(p: Promise<unknown>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InstallError);
  return error as InstallError;
}

describe('checkPackageTrees limits (just below, at and above each)', () => {
  const root = () => tempDir('pkgroot');

  test('maxFileBytes: a file of exactly the limit passes, one byte more is refused', async () => {
    const at = tree({ 'usr/bin/x': 'a'.repeat(100) });
    const ok = await checkPackageTrees([at], { root: root(), limits: { maxFileBytes: 100 } });
    expect(ok.entries.map((e) => e.path)).toEqual(['usr/bin/x']);
    const over = tree({ 'usr/bin/x': 'a'.repeat(101) });
    const error = await refusal(
      checkPackageTrees([over], { root: root(), limits: { maxFileBytes: 100 } }),
    );
    expect(error.rule).toBe('file-too-large');
    expect(error.message).toBe(
      'Refusing /usr/bin/x (rule file-too-large): 101 bytes is over the limit of 100',
    );
  });

  test('maxTotalBytes counts every split package together', async () => {
    const a = tree({ 'usr/bin/a': 'a'.repeat(60) });
    const b = tree({ 'usr/bin/b': 'b'.repeat(40) });
    const ok = await checkPackageTrees([a, b], { root: root(), limits: { maxTotalBytes: 100 } });
    expect(ok.totalBytes).toBe(100);
    const c = tree({ 'usr/bin/c': 'c' });
    const error = await refusal(
      checkPackageTrees([a, b, c], { root: root(), limits: { maxTotalBytes: 100 } }),
    );
    expect(error.message).toBe(
      'Refusing /usr/bin/c (rule tree-too-large): the packages pass the limit of 100 bytes here',
    );
  });

  test('maxEntries counts files and folders', async () => {
    const dir = tree({ 'a/b': '', 'a/c': '' }); // a, a/b, a/c: 3 entries
    await checkPackageTrees([dir], { root: root(), limits: { maxEntries: 3 } });
    const error = await refusal(
      checkPackageTrees([dir], { root: root(), limits: { maxEntries: 2 } }),
    );
    expect(error.rule).toBe('too-many-files');
  });
});

describe('stageEntry copies only what the walk checked', () => {
  test('a file swapped for a FIFO after the walk is refused at once (O_NONBLOCK), never waited on', async () => {
    const dir = tree({ 'usr/bin/x': 'plain\n' });
    const checked = await checkPackageTrees([dir], { root: tempDir('pkgroot') });
    // The build (a process that outlived it) swaps the file after the check.
    renameSync(join(dir, 'usr/bin/x'), join(dir, 'usr/bin/x.old'));
    execFileSync('mkfifo', [join(dir, 'usr/bin/x')]);
    const error = await refusal(stageEntry(checked.entries[0]!, join(tempDir('stage'), 'f')));
    expect(error.message).toBe(
      'Refusing /usr/bin/x (rule changed): it changed in the package tree after it was checked',
    );
  });

  test('a file swapped for a symlink to a root-only file is refused (O_NOFOLLOW), and a grown file too', async () => {
    const dir = tree({ 'usr/bin/x': 'plain\n', 'usr/bin/y': 'short\n' });
    const checked = await checkPackageTrees([dir], { root: tempDir('pkgroot') });
    const secret = join(tempDir('secret'), 'shadow');
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    execFileSync('ln', ['-sf', secret, join(dir, 'usr/bin/x')]);
    const stage = tempDir('stage');
    expect((await refusal(stageEntry(checked.entries[0]!, join(stage, 'x')))).rule).toBe('changed');
    writeFileSync(join(dir, 'usr/bin/y'), 'short and then much longer\n', { flag: 'a' });
    expect((await refusal(stageEntry(checked.entries[1]!, join(stage, 'y')))).rule).toBe('changed');
  });

  test('the staged copy is a new root-owned file with the checked mode', async () => {
    const dir = tree({ 'usr/bin/x': 'plain\n' });
    execFileSync('chmod', ['6777', join(dir, 'usr/bin/x')]);
    const checked = await checkPackageTrees([dir], { root: tempDir('pkgroot') });
    expect(checked.notes).toEqual([
      "cleared setuid+setgid on /usr/bin/x (not in the catalog's install.allow_setuid)",
      "cleared world-writable on /usr/bin/x (not in the catalog's install.allow_world_writable)",
    ]);
    const to = join(tempDir('stage'), 'x');
    await stageEntry(checked.entries[0]!, to);
    expect(statSync(to).mode & 0o7777).toBe(0o775);
    expect(readFileSync(to, 'utf8')).toBe('plain\n');
  });
});

describe('the install journal', () => {
  test('is on disk before the first move, and undoes a half-done upgrade from the disk alone', async () => {
    const base = tempDir('journal');
    const root = join(base, 'root');
    const journalDir = join(base, 'journal');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin/a'), 'old a\n');
    writeFileSync(join(root, 'bin/b'), 'old b\n');
    const tx = new Transaction(journalDir, 'w', root, join(root, '.rbee-staging-t'));
    await tx.open();
    const staged = (name: string) => {
      const p = join(root, '.rbee-staging-t', name);
      writeFileSync(p, `new ${name}\n`);
      return { p, ino: lstatSync(p).ino };
    };
    const a = staged('a');
    const b = staged('b');
    tx.createDir(join(root, 'lib'));
    tx.place(a.p, a.ino, join(root, 'bin/a'), true);
    tx.place(b.p, b.ino, join(root, 'bin/b'), true);
    // Run the plan by hand up to the middle of the second move, as a crash would leave it.
    await tx.apply(null, [], false).catch(() => {});
    const [journal] = await readJournals(journalDir);
    expect(journal!.phase).toBe('moving');
    expect(journal!.moves.map((m) => m.target)).toEqual([join(root, 'bin/a'), join(root, 'bin/b')]);
    // Every move ran; undo as if the agent had died after them.
    await undoJournal(journal!);
    expect(readFileSync(join(root, 'bin/a'), 'utf8')).toBe('old a\n');
    expect(readFileSync(join(root, 'bin/b'), 'utf8')).toBe('old b\n');
    expect(() => lstatSync(join(root, 'lib'))).toThrow();
    expect(() => lstatSync(join(root, '.rbee-staging-t'))).toThrow();
    // Safe to run twice.
    await undoJournal(journal!);
    expect(readFileSync(join(root, 'bin/a'), 'utf8')).toBe('old a\n');
  });
});
