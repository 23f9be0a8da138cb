import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignedEnvelope } from '../../shared/catalog/signature.ts';
import type { SignedFile } from '../../shared/repo/build-record.ts';
import type { PackageRecord, PackageUpload } from '../../shared/repo/package-record.ts';
import type { EdgeHttp } from '../connection/edge-http.ts';
import { EdgeHttpError } from '../connection/edge-http.ts';
import { buildEnv } from '../executor/sandbox/build-env.ts';
import { failureSummary, probe } from '../probe/probe.ts';
import type { PackageFile as BuiltFile } from './create-package.ts';
import { sha256Text } from './sha256-text.ts';

/** The cached record for a key, or null when the edge has none (404 NO_PACKAGE). */
export async function findCached(
  http: EdgeHttp,
  key: string,
  signal: AbortSignal,
): Promise<PackageRecord | null> {
  try {
    const res = await http.request(`/agent/packages/${key}`, { signal });
    return ((await res.json()) as { package: PackageRecord }).package;
  } catch (error) {
    if (error instanceof EdgeHttpError && error.code === 'NO_PACKAGE') return null;
    throw error;
  }
}

/** A downloaded package file whose bytes did not match its record. */
export class PackageMismatchError extends Error {
  override name = 'PackageMismatchError';
}

/**
 * Downloads each file of a record into `dir` and checks its size and sha256 against the
 * record before anything uses it.
 */
export async function downloadPackages(
  http: EdgeHttp,
  record: PackageRecord,
  dir: string,
  signal: AbortSignal,
): Promise<string[]> {
  const paths: string[] = [];
  for (const f of record.files) {
    const res = await http.request(`/agent/blobs/${f.sha256}`, { signal, timeoutMs: 600_000 });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const path = join(dir, f.filename);
    await writeFile(path, bytes, { flag: 'wx', mode: 0o644 });
    paths.push(path);
  }
  return paths;
}

/** Checks each downloaded file against the record: size and sha256, read back from disk. */
export async function verifyPackages(record: PackageRecord, paths: string[]): Promise<string[]> {
  const notes: string[] = [];
  for (const [i, f] of record.files.entries()) {
    const bytes = await readFile(paths[i]!);
    const actual = sha256Text(bytes);
    if (bytes.length !== f.size || actual !== f.sha256) {
      throw new PackageMismatchError(
        `${f.filename} does not match its build record: sha256 ${actual} (${bytes.length} bytes), the record says ${f.sha256} (${f.size} bytes)`,
      );
    }
    notes.push(`${f.filename}: sha256 ${actual} matches`);
  }
  return notes;
}

/** Unpacks a package file into a fresh `pkgdir`, as the build user when the agent is root. */
export async function extractPackage(
  file: string,
  pkgdir: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  await mkdir(pkgdir, { recursive: true, mode: 0o755 });
  if (user) await chown(pkgdir, user.uid, user.gid);
  const res = await probe('bsdtar', ['-xpf', file, '-C', pkgdir], {
    // As the build user, outside the sandbox: without the agent's RBEE_* secrets.
    env: buildEnv(undefined, process.env),
    ...(user ? { user } : {}),
    timeoutMs: 0,
  });
  if (res.failed) throw new Error(`Cannot unpack ${file}: ${failureSummary(res)}`);
}

async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Uploads the package files (each by its sha256), then the record that names them, signed by
 * `sign` (the builder key) over the files as uploaded.
 */
export async function uploadPackages(
  http: EdgeHttp,
  key: string,
  files: BuiltFile[],
  upload: Omit<PackageUpload, 'files' | 'signed'>,
  sign: (files: SignedFile[]) => Promise<SignedEnvelope>,
  signal: AbortSignal,
): Promise<PackageRecord> {
  const described = [];
  for (const f of files) {
    const bytes = await readFile(f.path);
    await http.request(`/agent/blobs/${f.sha256}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
      signal,
      timeoutMs: 600_000,
    });
    const pkginfo = await probe('bsdtar', ['-xOf', f.path, '.PKGINFO'], { timeoutMs: 0 });
    if (pkginfo.failed)
      throw new Error(`Cannot read .PKGINFO of ${f.filename}: ${failureSummary(pkginfo)}`);
    described.push({
      pkgname: f.pkgname,
      filename: f.filename,
      arch: f.arch,
      sha256: f.sha256,
      md5: await md5File(f.path),
      size: f.size,
      pkginfo: `${pkginfo.stdout}\n`,
    });
  }
  const res = await http.request(`/agent/packages/${key}`, {
    method: 'PUT',
    body: JSON.stringify({
      ...upload,
      files: described,
      signed: await sign(
        described.map(({ pkgname, filename, arch, sha256, size }) => ({
          pkgname,
          filename,
          arch,
          sha256,
          size,
        })),
      ),
    }),
    headers: { 'Content-Type': 'application/json' },
    signal,
  });
  return ((await res.json()) as { package: PackageRecord }).package;
}
