/** Checks `--store`, `--store-durability` and `--instance-id` (see edge/config.ts). */
export function storeConfigFrom(
  store: string | undefined,
  durability: string | undefined,
  instanceId: string | undefined,
  refuse: (message: string) => Error,
): {
  store: string | null;
  dataDir?: string;
  relaxedDurability: boolean;
  instanceId: string | null;
} {
  const fail = (message: string) => {
    throw refuse(message);
  };
  let url: string | null = null;
  let dataDir: string | undefined;
  if (store !== undefined) {
    if (/^rediss?:\/\//.test(store)) url = store;
    else if (store.startsWith('kv:') && store.length > 3) dataDir = store.slice(3);
    else fail(`--store must be redis://[user:pass@]host:port/db or kv:PATH, got "${store}"`);
  }
  if (durability !== undefined && durability !== 'strict' && durability !== 'relaxed') {
    fail(`--store-durability must be strict or relaxed, got "${durability}"`);
  }
  if (instanceId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    fail(`--instance-id must be 1-64 letters, digits, '.', '_' or '-', got "${instanceId}"`);
  }
  return {
    store: url,
    ...(dataDir ? { dataDir } : {}),
    relaxedDurability: durability === 'relaxed',
    instanceId: instanceId ?? null,
  };
}
