import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILDER_KEY_FILE,
  BUILDER_PUB_FILE,
  builderKey,
} from '../../../agent/package/builder-key.ts';
import { generateKeyPair, readPublicKey } from '../../../shared/catalog/signature.ts';
import { tempDir } from '../../support/edge-process.ts';

describe("the hive's builder key (<state>/builder.key)", () => {
  it('is made on first use, 0600, and read back the same afterwards', async () => {
    const state = tempDir('builder-key');
    const made = await builderKey(state);
    expect(statSync(join(state, BUILDER_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(state, BUILDER_KEY_FILE), 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n/,
    );
    expect((await readPublicKey(readFileSync(join(state, BUILDER_PUB_FILE), 'utf8'))).id).toBe(
      made.id,
    );
    expect((await builderKey(state)).id).toBe(made.id);
  });

  it('is refused when others can read it, naming the file and its mode', async () => {
    const state = tempDir('builder-key-open');
    const pair = await generateKeyPair();
    writeFileSync(join(state, BUILDER_KEY_FILE), pair.privatePem, { mode: 0o644 });
    chmodSync(join(state, BUILDER_KEY_FILE), 0o644);
    writeFileSync(join(state, BUILDER_PUB_FILE), pair.publicPem, { mode: 0o600 });
    await expect(builderKey(state)).rejects.toThrow(
      `${join(state, BUILDER_KEY_FILE)} is readable by others (mode 644): chmod 600 it`,
    );
  });

  it('never follows a link planted in its place, and leaves its target alone', async () => {
    const state = tempDir('builder-key-link');
    const elsewhere = tempDir('builder-key-sentinel');
    const sentinel = join(elsewhere, 'other.key');
    const pair = await generateKeyPair();
    writeFileSync(sentinel, pair.privatePem, { mode: 0o600 });
    symlinkSync(sentinel, join(state, BUILDER_KEY_FILE));
    await expect(builderKey(state)).rejects.toThrow(/ELOOP/);
    expect(readFileSync(sentinel, 'utf8')).toBe(pair.privatePem);
    expect(statSync(sentinel).mode & 0o777).toBe(0o600);
  });

  it('is refused when its .pub is not its public half', async () => {
    const state = tempDir('builder-key-pub');
    const pair = await generateKeyPair();
    writeFileSync(join(state, BUILDER_KEY_FILE), pair.privatePem, { mode: 0o600 });
    writeFileSync(join(state, BUILDER_PUB_FILE), (await generateKeyPair()).publicPem, {
      mode: 0o600,
    });
    await expect(builderKey(state)).rejects.toThrow(/is not the public half of/);
  });
});
