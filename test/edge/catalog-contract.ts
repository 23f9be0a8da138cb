import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { catalogEntrySchema } from '../../shared/catalog/schema.ts';
import { oracleCases, readExpected } from '../shared/pkgbuild/oracle-cases.ts';
import { repoRoot } from '../support/edge-process.ts';

/** How a contract reaches an edge: a fetch-like call on a path, sent as written. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** Fetches over a real socket without letting the client normalise the path first. */
export function rawFetcher(baseUrl: () => string): Fetcher {
  return (path, init) =>
    new Promise((resolve, reject) => {
      const url = new URL(baseUrl());
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: init?.method ?? 'GET',
          headers: init?.headers as Record<string, string>,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (typeof v === 'string') headers.set(k, v);
            const status = res.statusCode ?? 0;
            const body = status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers }));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
}

const workersDir = join(repoRoot, 'edge', 'catalog', 'workers');
/**
 * makepkg's own .SRCINFO of the demo worker, as the oracle suite stores it (and re-checks against
 * a live makepkg: test/shared/pkgbuild/oracle-corpus.test.ts).
 */
const helloCase = oracleCases().find((c) => c.kind === 'catalog' && c.name === 'rbee-hello-worker');
const helloSrcinfo = Promise.resolve(readExpected(helloCase!));
const diskFile = (id: string, name: string) => readFileSync(join(workersDir, id, name));

/** Bad names and what the edge must answer for each; every answer is JSON naming the rule. */
export const badNameCases: Array<{
  path: string;
  status: number;
  code: string | string[];
  rule?: RegExp;
}> = [
  { path: '/workers/no-such-worker', status: 404, code: 'UNKNOWN_WORKER' },
  { path: '/workers/no-such-worker/PKGBUILD', status: 404, code: 'UNKNOWN_WORKER' },
  { path: '/workers/rbee-hello-worker/files/no-such-file', status: 404, code: 'UNKNOWN_FILE' },
  { path: '/workers/rbee-hello-worker/files/PKGBUILD.bak', status: 404, code: 'UNKNOWN_FILE' },
  {
    path: '/workers/rbee-hello-worker/files/..%2F..%2Fetc%2Fpasswd',
    status: 400,
    code: 'BAD_NAME',
    rule: /must not contain "\/"/,
  },
  {
    path: '/workers/rbee-hello-worker/files/..%5Cpackage.json',
    status: 400,
    code: 'BAD_NAME',
    rule: /must not contain "\/" or "\\"/,
  },
  {
    path: '/workers/rbee-hello-worker/files/%252e%252e%252fPKGBUILD',
    status: 400,
    code: 'BAD_NAME',
    rule: /no double encoding/,
  },
  {
    path: '/workers/rbee-hello-worker/files/.hidden',
    status: 400,
    code: 'BAD_NAME',
    rule: /must not start with "\."/,
  },
  {
    path: '/workers/rbee-hello-worker/files/%2e%2e%2e',
    status: 400,
    code: 'BAD_NAME',
    rule: /must not start with "\."/,
  },
  {
    path: '/workers/rbee-hello-worker/files/hello-worker.conf%00.txt',
    status: 400,
    code: 'BAD_NAME',
    rule: /NUL/,
  },
  {
    path: `/workers/rbee-hello-worker/files/${'a'.repeat(129)}`,
    status: 400,
    code: 'BAD_NAME',
    rule: /at most 128/,
  },
  { path: `/workers/${'b'.repeat(200)}`, status: 400, code: 'BAD_NAME', rule: /at most 128/ },
  {
    path: '/workers/rbee-hello-worker/files/a%20b',
    status: 400,
    code: 'BAD_NAME',
    rule: /must match/,
  },
  { path: '/workers/%2e%2e%2fedge/PKGBUILD', status: 400, code: 'BAD_NAME' },
  // The URL parser resolves dot segments before routing: no route matches what is left.
  {
    path: '/workers/rbee-hello-worker/files/../../../package.json',
    status: 404,
    code: 'NOT_FOUND',
  },
  // Node's URL parser also resolves percent-encoded dot segments (leaving worker id
  // "package.json"); Deno's keeps them (no route). Either way a 404, and not a byte of the file.
  {
    path: '/workers/rbee-hello-worker/files/%2e%2e/%2e%2e/package.json',
    status: 404,
    code: ['NOT_FOUND', 'UNKNOWN_WORKER'],
  },
];

/** The catalog checks every runtime must pass: registered as tests in the calling describe. */
export function catalogContract(fetcher: () => Fetcher) {
  it('GET /health answers ok with the number of workers', async () => {
    const res = await fetcher()('/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; workers: number };
    expect(body.status).toBe('ok');
    expect(body.workers).toBe(4);
  });

  it('GET /workers lists the seeded workers, each a valid catalog entry', async () => {
    const res = await fetcher()('/workers');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as { workers: unknown[] };
    const entries = body.workers.map((w) => catalogEntrySchema.parse(w));
    expect(entries.map((e) => e.id)).toEqual([
      'llm-worker-rbee-cpu',
      'llm-worker-rbee-cuda',
      'llm-worker-rbee-metal',
      'rbee-hello-worker',
    ]);
    const cuda = entries.find((e) => e.id === 'llm-worker-rbee-cuda')!;
    expect(cuda).toMatchObject({
      worker_type: 'cuda',
      platforms: ['linux', 'windows'],
      architectures: ['x86_64'],
      depends: ['gcc', 'cuda'],
      makedepends: ['rust', 'cargo', 'git'],
      build: { features: ['cuda'] },
      license: 'GPL-3.0-or-later',
      supported_formats: ['gguf', 'safetensors'],
      max_context_length: 32768,
      supports_streaming: true,
      supports_batching: false,
    });
  });

  it('GET /workers/:id returns one entry', async () => {
    const res = await fetcher()('/workers/llm-worker-rbee-metal');
    expect(res.status).toBe(200);
    const entry = catalogEntrySchema.parse(await res.json());
    expect(entry).toMatchObject({
      id: 'llm-worker-rbee-metal',
      platforms: ['macos'],
      architectures: ['aarch64'],
    });
  });

  it('GET /workers/:id/PKGBUILD serves the file as text with ETag and Cache-Control', async () => {
    const res = await fetcher()('/workers/llm-worker-rbee-cpu/PKGBUILD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const text = await res.text();
    expect(text).toBe(diskFile('llm-worker-rbee-cpu', 'PKGBUILD').toString());
    expect(text).toContain(
      'source=("git+https://github.com/veighnsche/llama-orch.git#commit=6ca910077f40c9d43a2ec6a5e8b2749e32965c56")',
    );
    expect(text).toContain('cargo build --release --no-default-features --features cpu');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"sha256-[0-9a-f]{32}"$/);
    const again = await fetcher()('/workers/llm-worker-rbee-cpu/PKGBUILD', {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
    const other = await fetcher()('/workers/llm-worker-rbee-cpu/PKGBUILD', {
      headers: { 'If-None-Match': '"other"' },
    });
    expect(other.status).toBe(200);
  });

  it('GET /workers/:id/files/:name serves a local source byte for byte', async () => {
    for (const name of ['rbee-hello-worker.sh', 'rbee-hello-worker.1', 'hello-worker.conf']) {
      const res = await fetcher()(`/workers/rbee-hello-worker/files/${name}`);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(
        createHash('sha256').update(diskFile('rbee-hello-worker', name)).digest('hex'),
      );
      expect(res.headers.get('etag')).toMatch(/^"sha256-/);
    }
  });

  it('GET /workers/:id/srcinfo gives the parsed PKGBUILD, its .SRCINFO exactly as makepkg prints it', async () => {
    const res = await fetcher()('/workers/rbee-hello-worker/srcinfo');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      pkgbase: 'rbee-hello-worker',
      pkgnames: ['rbee-hello-worker'],
      pkgver: '1.0.0',
      pkgrel: '1',
      functions: ['build', 'check', 'package'],
      fields: expect.objectContaining({ backup: ['etc/rbee/hello-worker.conf'] }),
    });
    expect(
      (body.sources as Array<{ filename: string; isLocal: boolean }>).map((s) => [
        s.filename,
        s.isLocal,
      ]),
    ).toEqual([
      ['rbee-hello-worker.sh', true],
      ['rbee-hello-worker.1', true],
      ['hello-worker.conf', true],
    ]);
    const oracle = await helloSrcinfo;
    expect(oracle.exitCode).toBe(0);
    expect(body.srcinfo).toBe(oracle.stdout);
    const git = (await (await fetcher()('/workers/llm-worker-rbee-cuda/srcinfo')).json()) as {
      sources: Array<{ protocol: string; filename: string; vcs: { kind: string; value: string } }>;
    };
    expect(git.sources[0]).toMatchObject({
      protocol: 'git',
      filename: 'llama-orch',
      vcs: { kind: 'commit', value: '6ca910077f40c9d43a2ec6a5e8b2749e32965c56' },
    });
  });

  for (const bad of badNameCases) {
    it(`refuses ${bad.path.slice(0, 80)} with ${bad.status} ${bad.code}`, async () => {
      const res = await fetcher()(bad.path);
      expect(res.status).toBe(bad.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: string; code: string };
      expect([bad.code].flat()).toContain(body.code);
      expect(body.error.length).toBeGreaterThan(10);
      if (bad.rule) expect(body.error).toMatch(bad.rule);
      expect(body.error).not.toMatch(/root:|"name": "rbee-fleet"/);
    });
  }
}
