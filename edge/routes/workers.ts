import type { Context } from 'hono';
import { Hono } from 'hono';
import { checkName } from '../../shared/catalog/names.ts';
import { printSrcinfo } from '../../shared/pkgbuild/index.ts';
import { bearer } from '../auth/tokens.ts';
import type { Catalog, CatalogFile, CatalogWorker } from '../catalog/catalog.ts';
import { apiError } from '../http/errors.ts';
import { adminTokenCheck } from '../http/require-admin.ts';
import type { Store } from '../store/store.ts';
import { catalogForHive } from './api-hive-workers.ts';
import { findHive } from './api-hives.ts';

/** PKGBUILDs and sources change only with a deploy; a minute of caching plus ETag revalidation. */
const CACHE_CONTROL = 'public, max-age=60';

function serveFile(c: Context, file: CatalogFile, contentType: string) {
  c.header('ETag', file.etag);
  c.header('Cache-Control', CACHE_CONTROL);
  const match = c.req.header('If-None-Match');
  if (match?.split(',').some((tag) => tag.trim() === file.etag || tag.trim() === '*')) {
    return c.body(null, 304);
  }
  c.header('Content-Type', contentType);
  return c.body(file.bytes as Uint8Array<ArrayBuffer>);
}

/** The catalog API on the original's paths: `/workers`, `/workers/:id`, its PKGBUILD and files. */
export function workersRoutes(catalog: Catalog, store?: Store) {
  const app = new Hono();
  const isAdmin = store ? adminTokenCheck(store) : null;

  const lookup = (c: Context): CatalogWorker | Response => {
    const id = c.req.param('id') ?? '';
    const refusal = checkName(id);
    if (refusal) return apiError(c, refusal.status, 'BAD_NAME', `Bad worker id: ${refusal.rule}`);
    const worker = catalog.get(id);
    if (!worker)
      return apiError(c, 404, 'UNKNOWN_WORKER', `No worker with id "${id}" in the catalog`);
    return worker;
  };

  // `?hive=ID` (admin token): the entries that hive can run; `&all=1` adds the others with why.
  app.get('/workers', async (c) => {
    const ref = c.req.query('hive');
    if (ref === undefined) return c.json({ workers: catalog.entries() });
    const token = bearer(c.req.header('Authorization'));
    if (!store || !isAdmin || !token || !(await isAdmin(token))) {
      return apiError(c, 401, 'UNAUTHORIZED', 'the ?hive= filter needs the admin token');
    }
    const hive = await findHive(store, ref);
    if (!hive) return apiError(c, 404, 'UNKNOWN_HIVE', `no hive with id or name "${ref}"`);
    const all = c.req.query('all');
    return c.json(catalogForHive(catalog, hive, all === '1' || all === 'true'));
  });

  app.get('/workers/:id', (c) => {
    const worker = lookup(c);
    return worker instanceof Response ? worker : c.json(worker.entry);
  });

  // The PKGBUILD as makepkg reads it, from the shared static parser (no bash on the edge).
  app.get('/workers/:id/srcinfo', (c) => {
    const worker = lookup(c);
    if (worker instanceof Response) return worker;
    const { parsed } = worker.pkgbuild;
    return c.json({
      pkgbase: parsed.pkgbase,
      pkgnames: parsed.pkgnames,
      pkgver: parsed.pkgver,
      pkgrel: parsed.pkgrel,
      epoch: parsed.epoch,
      fields: parsed.fields,
      arch_fields: parsed.archFields,
      packages: parsed.packages,
      sources: parsed.sources,
      arch_sources: parsed.archSources,
      functions: Object.keys(parsed.functions),
      srcinfo: printSrcinfo(parsed),
    });
  });

  app.get('/workers/:id/PKGBUILD', (c) => {
    const worker = lookup(c);
    if (worker instanceof Response) return worker;
    return serveFile(c, worker.pkgbuild, 'text/plain; charset=utf-8');
  });

  // The fleet key's signed statement, as `rbee catalog sign` wrote it: the agent checks it.
  app.get('/workers/:id/signature', (c) => {
    const worker = lookup(c);
    if (worker instanceof Response) return worker;
    if (!worker.statement) {
      return apiError(
        c,
        404,
        'UNSIGNED',
        `Worker "${worker.entry.id}" has no signed statement (sign the catalog with rbee catalog sign)`,
      );
    }
    return serveFile(c, worker.statement, 'application/json');
  });

  app.get('/workers/:id/files/:name', (c) => {
    const worker = lookup(c);
    if (worker instanceof Response) return worker;
    const name = c.req.param('name');
    const refusal = checkName(name);
    if (refusal) return apiError(c, refusal.status, 'BAD_NAME', `Bad file name: ${refusal.rule}`);
    const file = worker.files.get(name);
    if (!file) {
      return apiError(
        c,
        404,
        'UNKNOWN_FILE',
        `Worker "${worker.entry.id}" has no local source file named "${name}"`,
      );
    }
    return serveFile(c, file, 'application/octet-stream');
  });

  return app;
}
