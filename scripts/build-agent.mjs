#!/usr/bin/env node
// `npm run build:agent`: the hive agent as ONE file, dist/rbee-agent.mjs, that runs with plain
// `node` (>= 20) and needs no node_modules: esbuild bundles its dependencies (ws, execa, zod)
// and the executor's bash sources are inlined. Then, when this machine can, dist/rbee-agent: a
// single executable for this platform (Node's single-executable applications: the agent as
// CommonJS injected into a copy of this node with postject), which needs no Node on the hive.
// Plain JavaScript, like bootstrap.mjs, so it runs before anything is compiled.
//   node scripts/build-agent.mjs [--out FILE] [--version V] [--sea FILE | --no-sea]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
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
    define: { __RBEE_AGENT_VERSION__: JSON.stringify(v), __RBEE_SEA__: 'false' },
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

/**
 * ws tries `require('bufferutil')` and `require('utf-8-validate')` in a try/catch; the
 * executable's require loads builtins only and warns on anything else: make them fail quietly.
 */
const noNativeAddons = {
  name: 'no-native-addons',
  setup(build) {
    build.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({
      path: args.path,
      namespace: 'no-native-addon',
    }));
    build.onLoad({ filter: /.*/, namespace: 'no-native-addon' }, (args) => ({
      contents: `throw new Error('${args.path} is not in the single executable');`,
      loader: 'js',
    }));
  },
};

/** The fuse postject flips in the copied node (Node's docs: single-executable-applications). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Why this machine cannot make a single executable, or null when it can. */
export function seaBlocker(node = process.execPath) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) {
    return `node ${process.versions.node} has no --experimental-sea-config (needs 20.6 or later)`;
  }
  if (typeof process.versions.deno === 'string') return 'Deno cannot make a Node executable';
  try {
    createRequire(import.meta.url).resolve('postject');
  } catch {
    return 'postject is not installed (a devDependency: npm ci)';
  }
  if (!readFileSync(node).includes(SEA_FUSE)) {
    return `${node} has no single-executable fuse (a distribution build of node that left it out)`;
  }
  return null;
}

/**
 * Makes the single executable: the agent bundled as CommonJS (SEA on Node 20 runs only a CommonJS
 * main, with builtin modules only), a preparation blob from `node --experimental-sea-config`,
 * and the blob injected into a copy of this node with postject. Returns its path, size, sha256.
 * @example await buildSea({ out: 'dist/rbee-agent', version: '0.1.0' })
 */
export async function buildSea({ out = join(root, 'dist', 'rbee-agent'), version } = {}) {
  const esbuild = await import('esbuild');
  const v = version ?? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const work = mkdtempSync(join(tmpdir(), 'rbee-sea-'));
  try {
    const main = join(work, 'rbee-agent.cjs');
    await esbuild.build({
      entryPoints: [join(root, 'cli', 'rbee-agent.ts')],
      outfile: main,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minifySyntax: true,
      legalComments: 'none',
      // import.meta does not exist in CommonJS: the executable itself stands for the bundle file.
      define: {
        __RBEE_AGENT_VERSION__: JSON.stringify(v),
        __RBEE_SEA__: 'true',
        'import.meta.url': '__rbeeMetaUrl',
      },
      banner: {
        js: `// rbee-agent ${v}\nconst __rbeeMetaUrl = require('node:url').pathToFileURL(process.execPath).href;`,
      },
      plugins: [inlineDriverScripts, noNativeAddons],
      logLevel: 'warning',
    });
    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(
      config,
      JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
    const exe = join(work, 'rbee-agent');
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
    // Its CLI in a child: LIEF prints harmless section-name warnings on stderr, kept out of sight.
    const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    const args = [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE];
    if (process.platform === 'darwin') args.push('--macho-segment-name', 'NODE_SEA');
    try {
      execFileSync(process.execPath, args, { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`postject failed: ${String(error.stderr ?? error.message).slice(-2000)}`);
    }
    if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);
    copyFileSync(exe, `${out}.tmp`);
    chmodSync(`${out}.tmp`, 0o755);
    execFileSync('mv', ['-f', `${out}.tmp`, out]);
    const bytes = readFileSync(out);
    return {
      path: out,
      version: v,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      version: { type: 'string' },
      sea: { type: 'string' },
      'no-sea': { type: 'boolean' },
    },
  });
  const built = await buildAgent({ out: values.out, version: values.version });
  process.stdout.write(
    `built ${built.path}: rbee-agent ${built.version}, ${built.size} bytes, sha256 ${built.sha256}\n`,
  );
  // The executable goes next to the bundle unless --sea names it; an --out build makes none
  // unless asked (tests build many bundles and need no 100 MB copy of node each time).
  const seaOut = values.sea ?? (values.out ? undefined : join(dirname(built.path), 'rbee-agent'));
  if (seaOut && !values['no-sea']) {
    const blocker = seaBlocker();
    if (blocker) {
      process.stdout.write(
        `no single executable: ${blocker}; dist/rbee-agent.mjs needs node on the hive\n`,
      );
    } else {
      const sea = await buildSea({ out: seaOut, version: values.version });
      process.stdout.write(
        `built ${sea.path}: single executable for ${process.platform}-${process.arch} (node ${process.versions.node}), ${sea.size} bytes, sha256 ${sea.sha256}\n`,
      );
    }
  }
}
