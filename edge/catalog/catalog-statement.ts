import { sha256Hex, signedEnvelopeSchema } from '../../shared/catalog/signature.ts';
import { STATEMENT_FILE, statementSchema } from '../../shared/catalog/statement.ts';
// A cycle with catalog.ts, fine in ESM: CatalogError is only used inside the function.
import { CatalogError, type CatalogFile, type CatalogReader } from './catalog.ts';

/** A worker's signed statement as the edge serves it, with the digest jobs carry. */
export type CatalogStatement = { bytes: Uint8Array; etag: string; digest: string };

/**
 * Reads a worker's `statement.json` (from the statements folder first, else beside its
 * PKGBUILD). The edge holds no key and checks no signature; it only refuses to start with a
 * statement that does not describe the files it serves (a stale one after an edit: re-sign).
 */
export async function readStatement(
  id: string,
  names: string[],
  from: CatalogReader,
  overlay: CatalogReader | undefined,
  pkgbuild: Uint8Array,
  files: Map<string, CatalogFile>,
): Promise<CatalogStatement | undefined> {
  const bytes =
    (overlay ? await overlay.read(id, STATEMENT_FILE).catch(() => undefined) : undefined) ??
    (names.includes(STATEMENT_FILE) ? await from.read(id, STATEMENT_FILE) : undefined);
  if (!bytes) return undefined;
  const fail = (why: string) =>
    new CatalogError(`Catalog entry ${id}: ${STATEMENT_FILE} ${why} (re-run rbee catalog sign)`);
  let payload: string;
  let statement: ReturnType<typeof statementSchema.parse>;
  try {
    payload = signedEnvelopeSchema.parse(JSON.parse(new TextDecoder().decode(bytes))).payload;
    statement = statementSchema.parse(JSON.parse(payload));
  } catch (error) {
    throw fail(`is not a signed statement: ${(error as Error).message.slice(0, 200)}`);
  }
  if (statement.worker !== id) throw fail(`is the statement of ${statement.worker}`);
  if (statement.pkgbuild !== (await sha256Hex(pkgbuild)))
    throw fail('signs a different PKGBUILD than the one in the folder');
  for (const [name, file] of files) {
    if (statement.files[name] !== (await sha256Hex(file.bytes)))
      throw fail(`does not sign the current ${name}`);
  }
  const digest = await sha256Hex(payload);
  return { bytes, etag: `"sha256-${digest.slice(0, 32)}"`, digest };
}
