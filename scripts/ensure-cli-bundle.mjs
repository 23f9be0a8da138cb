// `npm start` builds the admin CLI's one file when it is missing, as it does the agent bundle,
// so the edge can serve it (GET /cli/rbee.mjs). Plain JavaScript: the bootstrap imports it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Builds `outfile` (default ROOT/dist/rbee.mjs) with scripts/build-cli.ts unless it exists.
 * Returns whether it built; throws when the build fails.
 * @example ensureCliBundle(root, undefined, say)
 */
export function ensureCliBundle(root, outfile = join(root, 'dist', 'rbee.mjs'), say = () => {}) {
  if (existsSync(outfile)) return false;
  say('building the CLI bundle (npm run build:cli)…');
  const tsxHook = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const result = spawnSync(
    process.execPath,
    ['--import', tsxHook, join(root, 'scripts', 'build-cli.ts'), outfile],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) {
    throw new Error(`building the CLI bundle failed (exit ${result.status ?? result.signal})`);
  }
  return true;
}
