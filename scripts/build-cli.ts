/**
 * Bundles the `rbee` CLI (cli/rbee.ts and everything it loads) into one file, dist/rbee.mjs,
 * that runs with plain `node` outside the repository: `node dist/rbee.mjs install … --follow`.
 * The admin commands need nothing else. `@deno/kv` (a native addon, used only by `rbee edge`
 * and `rbee start`) stays an import: those two commands need it installed next to the file.
 *   npm run build:cli     write dist/rbee.mjs and print its size (or tsx scripts/build-cli.ts FILE)
 */
import { chmodSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { VERSION } from '../cli/admin/version.ts';

export const cliEntry = fileURLToPath(new URL('../cli/rbee.ts', import.meta.url));
export const cliBundle = fileURLToPath(new URL('../dist/rbee.mjs', import.meta.url));

/**
 * `@deno/kv` is a native addon: it cannot be bundled, and a static import of it would make
 * every command fail where it is not installed. This plugin turns the import into a dynamic
 * one, made only when `rbee edge` or `rbee start` opens the store.
 */
const lazyDenoKv: Plugin = {
  name: 'lazy-deno-kv',
  setup(b) {
    b.onResolve({ filter: /^@deno\/kv$/ }, (args) =>
      args.namespace === 'lazy-deno-kv'
        ? { path: '@deno/kv', external: true }
        : { path: '@deno/kv', namespace: 'lazy-deno-kv' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-deno-kv' }, () => ({
      contents:
        "export const openKv = async (...args) => (await import('@deno/kv')).openKv(...args);",
      loader: 'js',
    }));
  },
};

/** Writes dist/rbee.mjs; returns its size in bytes. */
export async function buildCli(outfile = cliBundle): Promise<number> {
  await build({
    entryPoints: [cliEntry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [lazyDenoKv],
    // Bundled CommonJS (ws, ioredis) calls require(): give the ES module one.
    // The first line after the shebang names the version: the edge reads it to serve the file.
    banner: {
      js:
        `// rbee-cli ${VERSION}\n` +
        "import { createRequire as __rbeeRequire } from 'node:module';\nconst require = __rbeeRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return statSync(outfile).size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? cliBundle;
  const bytes = await buildCli(out);
  process.stdout.write(`wrote ${out} (${(bytes / 1024).toFixed(0)} KiB)\n`);
}
