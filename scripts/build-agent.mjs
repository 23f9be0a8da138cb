#!/usr/bin/env node
// `npm run build:agent`: the hive agent as ONE file, dist/rbee-agent.mjs, that runs with plain
// `node` (>= 20) and needs no node_modules: esbuild bundles its dependencies (ws, execa, zod)
// and the executor's bash sources are inlined. Plain JavaScript, like bootstrap.mjs, so it runs
// before anything is compiled.
//   node scripts/build-agent.mjs [--out FILE] [--version V]
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The executor reads its bash parts next to itself at load; in one file they are inlined. */
const DRIVER_SH_LINE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the TypeScript line to find, as text
  "const sh = (name: string) => readFileSync(new URL(`./sh/${name}`, import.meta.url), 'utf8');";

/** The packaging script, read as text at load (agent/package/create-package.ts): inlined too. */
const PACKAGE_SH_LINE =
  "const SCRIPT_TEXT = readFileSync(new URL('./sh/create-package.sh', import.meta.url), 'utf8');";

/** Replaces `line` in the file matching `filter` with `replacement(path)`, or fails the build. */
function inline(build, filter, line, replacement) {
  build.onLoad({ filter }, (args) => {
    const source = readFileSync(args.path, 'utf8');
    if (!source.includes(line)) {
      throw new Error(
        `${args.path} no longer reads its bash parts with the line build-agent.mjs inlines; update it`,
      );
    }
    return { contents: source.replace(line, () => replacement(args.path)), loader: 'ts' };
  });
}

const inlineDriverScripts = {
  name: 'inline-driver-scripts',
  setup(build) {
    inline(
      build,
      /agent[/\\]executor[/\\]driver[/\\]driver-script\.ts$/,
      DRIVER_SH_LINE,
      (path) => {
        const dir = join(dirname(path), 'sh');
        const parts = Object.fromEntries(
          readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
        );
        return `const INLINED_SH: Record<string, string> = ${JSON.stringify(parts)};\nconst sh = (name: string) => INLINED_SH[name]!;`;
      },
    );
    inline(build, /agent[/\\]package[/\\]create-package\.ts$/, PACKAGE_SH_LINE, (path) => {
      const text = readFileSync(join(dirname(path), 'sh', 'create-package.sh'), 'utf8');
      return `const SCRIPT_TEXT = ${JSON.stringify(text)};`;
    });
  },
};

/**
 * Builds the bundle; returns its path, version, size and sha256.
 * @example await buildAgent({ out: '/tmp/rbee-agent.mjs', version: '0.1.1' })
 */
export async function buildAgent({ out = join(root, 'dist', 'rbee-agent.mjs'), version } = {}) {
  const esbuild = await import('esbuild');
  const v = version ?? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (!/^[0-9A-Za-z.+-]{1,64}$/.test(v)) throw new Error(`bad version "${v}"`);
  await esbuild.build({
    entryPoints: [join(root, 'cli', 'rbee-agent.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifySyntax: true,
    legalComments: 'none',
    // ws loads these native speed-ups in a try/catch when present; the bundle goes without.
    external: ['bufferutil', 'utf-8-validate'],
    define: { __RBEE_AGENT_VERSION__: JSON.stringify(v) },
    // Line 2 is the version the edge reads (edge/node/agent-files.ts). CommonJS dependencies
    // (ws) call require(), which an ES module lacks: give them Node's.
    banner: {
      js: [
        `// rbee-agent ${v}`,
        "import { createRequire as __rbeeCreateRequire } from 'node:module';",
        'const require = __rbeeCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    plugins: [inlineDriverScripts],
    logLevel: 'warning',
  });
  const bytes = readFileSync(out);
  return {
    path: out,
    version: v,
    size: statSync(out).size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, version: { type: 'string' } },
  });
  const built = await buildAgent(values);
  process.stdout.write(
    `built ${built.path}: rbee-agent ${built.version}, ${built.size} bytes, sha256 ${built.sha256}\n`,
  );
}
