import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the fixtures reach outside their folder: a real HTTP server, a bare git repo, a file. */
export type FixtureWorld = {
  /** A world-readable temporary directory that everything lives in. */
  base: string;
  /** Variables the fixture PKGBUILDs read, passed to makepkg and the executor alike. */
  env: Record<string, string>;
  close(): Promise<void>;
};

const FILES: Record<string, string> = {
  '/files/original.txt': 'served as original.txt, saved as renamed.txt\n',
  '/files/plain.txt': 'plain download\n',
};

export async function startFixtureWorld(): Promise<FixtureWorld> {
  const base = mkdtempSync(join(tmpdir(), 'rbee-build-test-'));
  chmodSync(base, 0o755);
  const server = await listen(
    createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/files/query' && url.searchParams.get('name') === 'q') {
        res.end('answered a query\n');
      } else if (url.pathname.startsWith('/redirect/')) {
        res.writeHead(302, { location: `/files/${url.pathname.slice('/redirect/'.length)}` });
        res.end();
      } else if (FILES[url.pathname] !== undefined) res.end(FILES[url.pathname]);
      else {
        res.writeHead(404);
        res.end('not found\n');
      }
    }),
  );
  const port = (server.address() as AddressInfo).port;
  const git = makeGitRepo(base);
  const file = join(base, 'file-source.txt');
  writeFileSync(file, 'reached through file://\n');
  return {
    base,
    env: {
      FIXTURE_HTTP: `http://127.0.0.1:${port}`,
      FIXTURE_GIT: git.path,
      FIXTURE_GIT_COMMIT: git.firstCommit,
      FIXTURE_FILE: file,
      SOURCE_DATE_EPOCH: '1700000000',
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A bare repository with history for every fragment kind: v1 (annotated tag v1.0, the
 * first commit), then main moves on to "main 2" and branch feature to "feature".
 */
function makeGitRepo(base: string): { path: string; firstCommit: string } {
  const work = join(base, 'git-work');
  mkdirSync(work);
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.name=rbee',
        '-c',
        'user.email=rbee@example.invalid',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      { cwd: work, encoding: 'utf8' },
    ).trim();
  git('init', '-q');
  writeFileSync(join(work, 'version.txt'), 'v1\n');
  git('add', 'version.txt');
  git('commit', '-q', '-m', 'v1');
  const firstCommit = git('rev-parse', 'HEAD');
  git('tag', '-a', 'v1.0', '-m', 'release v1.0');
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(work, 'version.txt'), 'feature\n');
  git('commit', '-q', '-am', 'feature');
  git('checkout', '-q', 'main');
  writeFileSync(join(work, 'version.txt'), 'main 2\n');
  git('commit', '-q', '-am', 'main 2');
  const path = join(base, 'repo.git');
  execFileSync('git', ['clone', '-q', '--bare', work, path]);
  // The builds run as nobody; git refuses repositories owned by someone else.
  execFileSync('chown', ['-R', '65534:65534', path]);
  return { path, firstCommit };
}
