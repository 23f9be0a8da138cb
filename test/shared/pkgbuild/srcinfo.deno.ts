/**
 * Run by deno-runtime.test.ts under Deno: prints, as JSON, the .SRCINFO (or the error code) the
 * parser gives for every fixture, so the test can compare Deno's answers with Node's.
 */
import { ParseError, parsePkgbuild, printSrcinfo } from '../../../shared/pkgbuild/index.ts';

/** The two Deno APIs used, typed here because the Node type-check has no Deno types. */
type DenoFs = {
  readDir(url: URL): AsyncIterable<{ name: string }>;
  readTextFile(url: URL): Promise<string>;
};
const Deno = (globalThis as unknown as { Deno: DenoFs }).Deno;

const root = new URL('../../fixtures/pkgbuild/', import.meta.url);
const out: Record<string, string> = {};
for (const sub of ['ok', 'lint', 'refuse', 'syntax']) {
  for await (const entry of Deno.readDir(new URL(`${sub}/`, root))) {
    const text = await Deno.readTextFile(new URL(`${sub}/${entry.name}/PKGBUILD`, root));
    try {
      out[`${sub}/${entry.name}`] = printSrcinfo(parsePkgbuild(text, { carch: 'x86_64' }));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      out[`${sub}/${entry.name}`] = `${error.code} ${error.line}:${error.column}`;
    }
  }
}
console.log(JSON.stringify(out));
