import { machine } from 'node:os';
import { buildUser } from '../../agent/executor/build-user.ts';
import { BuildError, type BuildEvent, runBuild } from '../../agent/executor/index.ts';
import { archiveBuild } from '../../agent/package/archive-build.ts';
import { PackageError } from '../../agent/package/create-package.ts';
import { type Command, parseFlags, UsageError } from '../command.ts';

const usage = `usage: rbee build DIR [--archive] [--nocheck] [--source-base URL] [--timeout SECONDS]

Builds the PKGBUILD in DIR like 'makepkg --noarchive --nodeps -f': sources are fetched into
DIR, extracted into DIR/src, and the package tree is left in DIR/pkg/<pkgname>. The build's
output is printed live (stdout and stderr as the build wrote them), steps as '==>' lines.
As root, the PKGBUILD runs as nobody (65534), who is given DIR.

With --archive, makepkg's packaging step follows (makepkg without --noarchive): one
DIR/<pkgname>-<pkgver>-<pkgrel>-<arch>.pkg.tar.zst per package (PKGEXT of makepkg.conf), with
.PKGINFO, .BUILDINFO and .MTREE, owners root:root and mtimes from SOURCE_DATE_EPOCH (default now).

options:
  --archive          write the package files too (makepkg's create_package)
  --nocheck          do not run check()
  --source-base URL  fetch local sources missing from DIR from URL (a catalog's files URL)
  --timeout SECONDS  stop the build after this long (default 7200)

Exits 0 when the package tree (and with --archive the package files) is ready, 1 with the reason when the build fails.
`;

/**
 * Writes build output in batches (one write per event-loop turn or 64 KiB), switching
 * streams only between batches so the order of lines is kept; a full pipe pauses the build.
 */
function outputWriter() {
  let stream: NodeJS.WriteStream = process.stdout;
  let pending = '';
  let scheduled = false;
  const flush = (): Promise<void> | undefined => {
    scheduled = false;
    if (pending === '') return undefined;
    const ok = stream.write(pending);
    pending = '';
    if (ok) return undefined;
    const target = stream;
    return new Promise((resolve) => target.once('drain', resolve));
  };
  const write = (to: NodeJS.WriteStream, text: string): Promise<void> | undefined => {
    if (to !== stream) {
      const waiting = flush();
      stream = to;
      if (waiting) return waiting.then(() => write(to, text));
    }
    pending += text;
    if (pending.length >= 65536) return flush();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return undefined;
  };
  return { write, flush };
}

function stepLine(event: BuildEvent): string | undefined {
  if (event.type !== 'step') return undefined;
  const what = event.function ? `${event.function}()` : event.step;
  if (event.phase === 'start') return `==> Starting ${what}...\n`;
  if (event.ok === false) return `==> ERROR: ${event.message ?? `${what} failed`}\n`;
  if (event.step === 'pkgver' && event.message) return `==> Updated version: ${event.message}\n`;
  return undefined;
}

export const buildCommand: Command = {
  name: 'build',
  summary:
    'build a PKGBUILD folder like makepkg --nodeps (--noarchive unless --archive), printing its output',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        archive: { type: 'boolean' },
        nocheck: { type: 'boolean' },
        'source-base': { type: 'string' },
        timeout: { type: 'string' },
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError('expects exactly one DIR');
    const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
      throw new UsageError(
        `--timeout must be a positive number of seconds, got "${values.timeout}"`,
      );
    }
    const sourceBase = values['source-base'];
    if (sourceBase !== undefined && !URL.canParse(sourceBase)) {
      throw new UsageError(`--source-base must be a URL, got "${sourceBase}"`);
    }
    const out = outputWriter();
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // --archive names the arch in the file, so the build and the archive agree on CARCH.
    const carch = values.archive ? machine() : undefined;
    try {
      const result = await runBuild(positionals[0]!, {
        ...(carch ? { carch } : {}),
        noCheck: values.nocheck ?? false,
        signal: controller.signal,
        ...(sourceBase !== undefined ? { sourceBase } : {}),
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        onEvent: (event) => {
          if (event.type === 'line') {
            return out.write(
              event.stream === 'stderr' ? process.stderr : process.stdout,
              `${event.text}\n`,
            );
          }
          const line = stepLine(event);
          return line === undefined ? undefined : out.write(process.stdout, line);
        },
      });
      await out.flush();
      for (const dir of result.pkgdirs)
        process.stdout.write(`==> Package directory is ready: ${dir}\n`);
      if (carch) {
        process.stdout.write('==> Creating package files...\n');
        const user = buildUser({});
        const files = await archiveBuild(result, {
          carch,
          ...(user ? { user } : {}),
          signal: controller.signal,
        });
        for (const f of files)
          process.stdout.write(
            `==> Package file: ${f.path} (${f.size} bytes, sha256 ${f.sha256})\n`,
          );
      }
      return 0;
    } catch (error) {
      await out.flush();
      if (error instanceof PackageError) {
        process.stderr.write(`rbee build: ${error.pkgname}: ${error.message}\n`);
        return 1;
      }
      if (!(error instanceof BuildError)) throw error;
      process.stderr.write(`rbee build: ${error.shortMessage}\n`);
      return 1;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
