import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tempDir } from './edge-process.ts';
import { freePort } from './tcp-proxy.ts';

/** A real redis-server on a free port with its own data folder (appendonly + fsync always). */
export type RedisServer = {
  url: string;
  port: number;
  dir: string;
  /** kill -9, as a crash of the store would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Servers not stopped yet, killed with their data folders removed when the test process exits
 * (a failed hook, a timed-out test): no redis-server outlives its suite.
 */
const running = new Map<string, () => ChildProcess | null>();
process.once('exit', () => {
  for (const [dir, child] of running) {
    child()?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Starts `redis-server` (Debian's package) and resolves once it accepts connections.
 * @example const redis = await startRedisServer(); ... await redis.stop();
 */
export async function startRedisServer(opts: { durable?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir('redis');
  const durable = opts.durable ?? true;
  let child: ChildProcess | null = null;
  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      durable ? 'yes' : 'no',
      '--appendfsync',
      durable ? 'always' : 'everysec',
      '--protected-mode',
      'no',
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) {
          proc.stdout!.off('data', onData);
          proc.stdout!.resume();
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.resume();
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
      proc.once('error', reject);
    });
  };
  const kill = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  };
  running.set(dir, () => child);
  try {
    await launch();
  } catch (error) {
    await kill();
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      running.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
