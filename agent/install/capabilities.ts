import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstalledWorker, PlatformInfo } from '../../shared/protocol/index.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { listManifests, type Manifest } from './manifest.ts';

/** `<state>/capabilities.json`: what this hive runs and what it could run. */
export type Capabilities = {
  platform: PlatformInfo;
  installed: InstalledWorker[];
  updated_at: number;
};

/** A manifest as the protocol's `installed` entry: id, version, file count, binary path. */
export function installedWorker(manifest: Manifest): InstalledWorker {
  return {
    id: manifest.id,
    version: manifest.version.slice(0, 128),
    files: manifest.files.length,
    ...(manifest.binary ? { binary: manifest.binary.slice(0, 4096) } : {}),
    installed_at: manifest.installed_at,
  };
}

/**
 * Rewrites `<state>/capabilities.json` from the manifests (whole or not at all) and returns
 * it; `hello` reads it at every connect, and the pipeline sends it as a `capabilities` message.
 * @example const caps = await writeCapabilities(stateDir, platform);
 */
export async function writeCapabilities(
  stateDir: string,
  platform: PlatformInfo,
  now = Date.now(),
): Promise<Capabilities> {
  const caps: Capabilities = {
    platform,
    installed: (await listManifests(stateDir)).map(installedWorker),
    updated_at: now,
  };
  await mkdir(stateDir, { recursive: true });
  // Two jobs finishing together each write whole; the write helper keeps their temp files apart.
  await writeFileAtomic(join(stateDir, 'capabilities.json'), `${JSON.stringify(caps, null, 2)}\n`);
  return caps;
}
