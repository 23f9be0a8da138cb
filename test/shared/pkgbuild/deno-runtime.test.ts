/** The parser lives in shared/ because the edge runs it on Deno too: same answers there. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ParseError, parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';

const FIXTURES = 'test/fixtures/pkgbuild';

function nodeAnswers(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ['ok', 'lint', 'refuse', 'syntax']) {
    for (const name of readdirSync(join(FIXTURES, sub))) {
      const text = readFileSync(join(FIXTURES, sub, name, 'PKGBUILD'), 'utf8');
      try {
        out[`${sub}/${name}`] = printSrcinfo(parsePkgbuild(text, { carch: 'x86_64' }));
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        out[`${sub}/${name}`] = `${error.code} ${error.line}:${error.column}`;
      }
    }
  }
  return out;
}

test('Deno parses every fixture exactly as Node does', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'node_modules/.bin/deno',
      ['run', '--allow-read', '--no-lock', '--no-config', 'test/shared/pkgbuild/srcinfo.deno.ts'],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, out, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
    );
  });
  expect(JSON.parse(stdout)).toEqual(nodeAnswers());
});
