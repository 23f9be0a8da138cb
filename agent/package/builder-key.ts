import { constants } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateKeyPair,
  readPrivateKey,
  readPublicKey,
  type SigningKey,
} from '../../shared/catalog/signature.ts';
import type { EdgeHttp } from '../connection/edge-http.ts';

/** The hive's own signing key for build records: `<state>/builder.key` (0600) and `.pub`. */
export const BUILDER_KEY_FILE = 'builder.key';
export const BUILDER_PUB_FILE = 'builder.pub';

export type BuilderKey = { signing: SigningKey; publicPem: string; id: string };

const loaded = new Map<string, Promise<BuilderKey>>();

/** Reads a file of ours: opened without following a link, a plain file, owned by us, mode 0600. */
async function readOwnFile(path: string): Promise<string> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await file.stat();
    const uid = process.getuid?.();
    if (!st.isFile()) throw new Error(`${path} is not a plain file`);
    if (uid !== undefined && st.uid !== uid) throw new Error(`${path} is not owned by uid ${uid}`);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(
        `${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    }
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

async function loadOrCreate(stateDir: string): Promise<BuilderKey> {
  const keyPath = join(stateDir, BUILDER_KEY_FILE);
  const pubPath = join(stateDir, BUILDER_PUB_FILE);
  try {
    const signing = await readPrivateKey(await readOwnFile(keyPath));
    const publicPem = await readOwnFile(pubPath);
    const pub = await readPublicKey(publicPem);
    if (pub.id !== signing.id)
      throw new Error(`${pubPath} (key ${pub.id}) is not the public half of ${keyPath}`);
    return { signing, publicPem, id: signing.id };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const pair = await generateKeyPair();
  // `wx`: a key another job wrote first wins, and is read back.
  try {
    await writeFile(pubPath, pair.publicPem, { mode: 0o600, flag: 'wx' });
    await writeFile(keyPath, pair.privatePem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadOrCreate(stateDir);
  }
  return { signing: await readPrivateKey(pair.privatePem), publicPem: pair.publicPem, id: pair.id };
}

/**
 * The hive's builder key, made on first use in the state folder (private key 0600, never sent).
 * @example const { id, signing } = await builderKey('/var/lib/rbee/agent');
 */
export function builderKey(stateDir: string): Promise<BuilderKey> {
  let key = loaded.get(stateDir);
  if (!key) {
    key = loadOrCreate(stateDir);
    loaded.set(stateDir, key);
    key.catch(() => loaded.delete(stateDir));
  }
  return key;
}

/** What the edge says of this hive when it registers its key. */
export type BuilderStatus = { hive: string; builder: boolean; key_id: string };

/**
 * Registers the hive's public builder key with the edge (on connect, and before an upload).
 * The answer says whether an admin made this hive a builder.
 */
export async function registerBuilderKey(
  http: EdgeHttp,
  stateDir: string,
  signal?: AbortSignal,
): Promise<BuilderStatus> {
  const key = await builderKey(stateDir);
  const res = await http.request('/agent/builder-key', {
    method: 'PUT',
    body: JSON.stringify({ public_key: key.publicPem }),
    headers: { 'Content-Type': 'application/json' },
    ...(signal ? { signal } : {}),
  });
  return (await res.json()) as BuilderStatus;
}
