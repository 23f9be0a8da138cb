/** signature.ts is WebCrypto only: a statement signed on Node verifies on Deno and back. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import {
  generateKeyPair,
  readPrivateKey,
  readPublicKey,
  SignatureError,
  signPayload,
  verifyEnvelope,
} from '../../../shared/catalog/signature.ts';
import { tempDir } from '../../support/edge-process.ts';

test('a statement signed on Node verifies on Deno, and one signed on Deno verifies on Node', async () => {
  const pair = await generateKeyPair();
  const envelope = await signPayload('{"signed":"on node"}', await readPrivateKey(pair.privatePem));
  const dir = tempDir('sig-deno');
  writeFileSync(join(dir, 'env.json'), JSON.stringify(envelope));
  writeFileSync(join(dir, 'key.pub'), pair.publicPem);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'node_modules/.bin/deno',
      [
        'run',
        '--allow-read',
        '--no-lock',
        'test/shared/catalog/signature.deno.ts',
        join(dir, 'env.json'),
        join(dir, 'key.pub'),
      ],
      { encoding: 'utf8' },
      (error, out, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
    );
  });
  const deno = JSON.parse(stdout);
  expect(deno.verified).toBe('{"signed":"on node"}');
  expect(deno.tamperedRule).toBe('BAD_SIGNATURE');
  const denoKey = await readPublicKey(deno.publicPem);
  expect((await verifyEnvelope(deno.envelope, [denoKey])).payload).toBe('{"signed":"on deno"}');
  // Node's own key does not vouch for Deno's statement: the rule is named.
  await expect(
    verifyEnvelope(deno.envelope, [await readPublicKey(pair.publicPem)]),
  ).rejects.toThrow(SignatureError);
  await expect(
    verifyEnvelope(deno.envelope, [await readPublicKey(pair.publicPem)]),
  ).rejects.toThrow(/^UNTRUSTED_KEY: signed by key [0-9a-f]{16}/);
}, 60_000);
