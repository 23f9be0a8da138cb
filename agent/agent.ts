import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DEFAULT_MAX_FRAME_BYTES,
  type InstalledWorker,
  installedWorkerSchema,
  type JobSpec,
  type PlatformInfo,
  PROTOCOL_VERSION,
} from '../shared/protocol/index.ts';
import { type Send, startConnection, type WelcomeMessage } from './connection/connection.ts';
import { createEdgeHttp } from './connection/edge-http.ts';
import { edgeUrls } from './connection/edge-url.ts';
import { loadTrust } from './connection/trust.ts';
import { runBuild } from './executor/index.ts';
import type { SandboxOptions } from './executor/sandbox/sandbox-options.ts';
import { sandboxReport } from './executor/sandbox/sandbox-report.ts';
import { secureStateDir } from './fs/private-state.ts';
import { writeCapabilities } from './install/capabilities.ts';
import { createInstallPipeline } from './install/install-pipeline.ts';
import { recoverInstalls } from './install/recover-installs.ts';
import { StepError } from './install/step-runner.ts';
import { JobManager } from './jobs/job-manager.ts';
import type { JobContext, JobPipeline, JobResult, ResumeJob } from './jobs/job-pipeline.ts';
import { lockStateDir } from './jobs/state-lock.ts';
import { registerBuilderKey } from './package/builder-key.ts';
import { detectPlatform } from './platform/detect-platform.ts';
import { type AgentFilePolicy, verifyAgentFile } from './upgrade/verify-agent-file.ts';

export type AgentOptions = {
  /** The edge's base URL: `http(s)://` or `ws(s)://`; the socket is `<edge>/agent`. */
  edge: string;
  /** The hive token, `rbh_…`. */
  token: string;
  /** Ledger, log spool, workspaces and capabilities.json (default `./.rbee/agent`). */
  stateDir?: string;
  /** Where workers are installed (default `<state>/root`). */
  installRoot?: string;
  /** Largest frame accepted from the edge (default 1 MiB). */
  maxFrameBytes?: number;
  /** Reconnect backoff: first ceiling (default 500 ms) and cap (default 30 s). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Time for the upgrade, and then for welcome (default 20 s each). */
  handshakeTimeoutMs?: number;
  /** Log frames: entries (4096) and bytes (256 KiB) per frame, batch delay (15 ms). */
  frameMaxEntries?: number;
  frameMaxBytes?: number;
  flushDelayMs?: number;
  /** Unacknowledged log bytes per job before the build's output waits (default 4 MiB). */
  windowBytes?: number;
  /** Builds at the same time (default 1). */
  maxConcurrentJobs?: number;
  /** Log bytes one job may produce before it is stopped as failed (default 192 MiB). */
  maxLogBytes?: number;
  /** The most output one build may print (the executor's default when unset). */
  maxOutputBytes?: number;
  /** Dependency check before a build: `check` refuses when one is missing (default), `skip`. */
  deps?: 'check' | 'skip';
  /** How long a failed job's workspace is kept for a person to look (default 24 h). */
  keepFailedWorkspaceMs?: number;
  /** Replaces the install pipeline (tests, or another way to run jobs). */
  pipeline?: JobPipeline;
  /** Replaces platform detection (tests, or a hive that wants to say less). */
  platform?: PlatformInfo;
  /** Status lines (default: stdout). */
  log?: (line: string) => void;
  /** The build sandbox: network, limits, folders to hide (the state folder always is). */
  sandbox?: SandboxOptions;
  /** Public key files (PEM) whose signed statements this agent runs (`--trust-key`). */
  trustKeys?: string[];
  /** Run workers the edge serves no statement for (`--allow-unsigned`): anyone who controls the edge is root here. */
  allowUnsigned?: boolean;
  /** Accept a plain http:// edge that is not on loopback (`--insecure`). */
  insecure?: boolean;
  /** CA certificate files (PEM) for an https edge with a private CA (`--ca`). */
  ca?: string[];
  /** The version `hello` reports (default: package.json's; the bundle passes its own). */
  version?: string;
  /** The edge refused the token for good (revoked, 401): the agent stops dialling and calls this. */
  onRefused?: (why: string) => void;
  /** Each welcome, with a way to send: the upgrade check hooks in here. */
  onWelcome?: (welcome: WelcomeMessage) => void;
  /**
   * `upgrade` jobs (the bundled agent replacing itself): without this the agent tells the edge
   * in hello that it cannot, and fails any upgrade job it is sent.
   */
  upgrade?: { run: JobPipeline; resume: ResumeJob };
  /**
   * Let upgrade jobs replace this agent with a file no fleet key signed, although it trusts
   * fleet keys (`--allow-agent-upgrades`): then whoever controls the edge can replace the agent.
   * Without it, an agent that trusts keys takes only a file one of them signed (`rbee agents
   * sign`); a signature that is there is checked either way.
   */
  allowAgentUpgrades?: boolean;
};

export type Agent = {
  /** Disconnects, stops running builds (reported as failed at the next start) and closes files. */
  stop(): Promise<void>;
};

/** Read from package.json so `hello` says which agent is talking. */
async function agentVersion(): Promise<string> {
  try {
    const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
    return String((JSON.parse(text) as { version?: unknown }).version ?? '0.0.0').slice(0, 64);
  } catch {
    return '0.0.0';
  }
}

/** The workers the install pipeline recorded in `<state>/capabilities.json`, if it did. */
async function readInstalled(
  stateDir: string,
  log: (line: string) => void,
): Promise<InstalledWorker[]> {
  let text: string;
  try {
    text = await readFile(join(stateDir, 'capabilities.json'), 'utf8');
  } catch {
    return [];
  }
  try {
    const raw = JSON.parse(text) as { installed?: unknown };
    return installedWorkerSchema
      .array()
      .max(1000)
      .parse(raw.installed ?? []);
  } catch (error) {
    log(`rbee agent: ignoring ${join(stateDir, 'capabilities.json')}: ${(error as Error).message}`);
    return [];
  }
}

/**
 * Starts a hive agent: recovers unfinished jobs from the state folder, dials the edge and keeps
 * dialling, runs the jobs the edge sends and streams their logs. Resolves once the state is
 * loaded; the connection comes and goes on its own from then on.
 * @example
 * const agent = await startAgent({ edge: 'http://edge:8787', token: 'rbh_…', stateDir: '/var/lib/rbee' });
 * process.once('SIGTERM', () => agent.stop());
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const urls = edgeUrls(options.edge);
  const trust = await loadTrust(options, log);
  const stateDir = resolve(options.stateDir ?? join('.rbee', 'agent'));
  const installRoot = resolve(options.installRoot ?? join(stateDir, 'root'));
  const [version, platform] = await Promise.all([
    options.version ?? agentVersion(),
    options.platform ?? detectPlatform(),
  ]);
  const edgeHttp = createEdgeHttp({
    base: urls.http,
    token: options.token,
    ...(trust.ca ? { ca: trust.ca } : {}),
  });
  let hive: string | undefined;
  let keyLogged = false;
  const lock = await lockStateDir(stateDir);
  // Before any job: the state closed to the build user, and installs a crash left half-way undone.
  try {
    await secureStateDir(stateDir);
    for (const r of await recoverInstalls(stateDir)) {
      log(`rbee agent: ${r.id}: an install the last agent left unfinished was ${r.action}`);
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  // capabilities.json says what this hive is from the start, installed workers or not.
  await writeCapabilities(stateDir, platform).catch((error: Error) =>
    log(`rbee agent: cannot write capabilities.json: ${error.message}`),
  );
  // The session's send, while one is up: the pipeline reports capabilities through it.
  let send: Send | undefined;
  const upgrade = options.upgrade;
  const agentFiles: AgentFilePolicy = {
    keys: trust.keys,
    acceptUnsigned: trust.allowUnsigned || options.allowAgentUpgrades === true,
    why: options.allowAgentUpgrades ? '--allow-agent-upgrades' : '--allow-unsigned',
  };
  if (upgrade && trust.keys.length > 0 && agentFiles.acceptUnsigned)
    log(
      `rbee agent: WARNING ${agentFiles.why}: upgrade jobs may replace this agent with a file no fleet key signed; whoever controls the edge can then replace the agent`,
    );
  const installs: JobPipeline =
    options.pipeline ??
    createInstallPipeline({
      stateDir,
      platform,
      runBuild,
      ...(options.deps ? { deps: options.deps } : {}),
      ...(options.keepFailedWorkspaceMs !== undefined
        ? { keepFailedWorkspaceMs: options.keepFailedWorkspaceMs }
        : {}),
      buildOptions: {
        ...(options.maxOutputBytes ? { maxOutputBytes: options.maxOutputBytes } : {}),
        sandbox: sandbox(options.sandbox, stateDir),
      },
      verify: { keys: trust.keys, allowUnsigned: trust.allowUnsigned, hive: () => hive },
      // Offline, the next hello carries the same list from capabilities.json.
      report: (caps) =>
        send?.({ type: 'capabilities', platform: caps.platform, installed: caps.installed }),
    });
  const jobs = await JobManager.open({
    stateDir,
    installRoot,
    edgeHttp,
    pipeline: (job, ctx) =>
      job.kind === 'upgrade'
        ? upgradeJob(job, ctx, { hive, upgrade, agentFiles, version })
        : installs(job, ctx),
    ...(options.upgrade ? { resume: options.upgrade.resume } : {}),
    ...(options.maxConcurrentJobs ? { maxConcurrentJobs: options.maxConcurrentJobs } : {}),
    ...(options.maxLogBytes ? { maxLogBytes: options.maxLogBytes } : {}),
    logs: {
      ...(options.frameMaxEntries ? { maxFrameEntries: options.frameMaxEntries } : {}),
      ...(options.frameMaxBytes ? { maxFrameBytes: options.frameMaxBytes } : {}),
      ...(options.flushDelayMs !== undefined ? { flushDelayMs: options.flushDelayMs } : {}),
      ...(options.windowBytes ? { windowBytes: options.windowBytes } : {}),
    },
    log,
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  log(`rbee agent starting: edge ${urls.agent}, state ${stateDir}`);
  // In the background: the connection need not wait for bwrap; the first build awaits the same test.
  if (options.pipeline === undefined)
    void sandboxReport(options.sandbox ?? {}).then(
      (lines) => {
        for (const line of lines) log(line);
      },
      (error: Error) => log(`rbee agent: the sandbox self-test failed: ${error.message}`),
    );
  const connection = startConnection({
    url: urls.agent,
    token: options.token,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    backoff: {
      ...(options.backoffBaseMs ? { baseMs: options.backoffBaseMs } : {}),
      ...(options.backoffCapMs ? { capMs: options.backoffCapMs } : {}),
    },
    ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    log,
    ...(trust.ca ? { ca: trust.ca } : {}),
    handler: {
      hello: async () => ({
        type: 'hello',
        agent_version: version,
        protocol: PROTOCOL_VERSION,
        platform,
        installed: await readInstalled(stateDir, log),
        jobs: jobs.helloJobs(),
        ...(upgrade ? { upgradable: true } : {}),
      }),
      onWelcome: (welcome, sendMessage) => {
        hive = welcome.hive;
        send = sendMessage;
        jobs.onWelcome(welcome, sendMessage);
        options.onWelcome?.(welcome);
        // The builder key is on the edge before an admin marks this hive a builder and signs.
        if (options.pipeline === undefined)
          registerBuilderKey(edgeHttp, stateDir).then(
            (status) => {
              if (!keyLogged)
                log(
                  `rbee agent: builder key ${status.key_id} registered (${status.builder ? 'a builder' : 'not a builder'})`,
                );
              keyLogged = true;
            },
            (error: Error) => log(`rbee agent: cannot register the builder key: ${error.message}`),
          );
      },
      onMessage: (message) => jobs.onMessage(message),
      onDisconnect: () => {
        send = undefined;
        jobs.onDisconnect();
      },
    },
  });
  return {
    async stop() {
      await jobs.stop();
      await connection.stop();
      await lock.release();
      log('rbee agent stopped');
    },
  };
}

/**
 * An `upgrade` job: refused for another hive, by an agent that cannot replace itself, and for a
 * file the agent's trust does not cover (verify-agent-file.ts); then the upgrader runs it.
 */
async function upgradeJob(
  job: JobSpec,
  ctx: JobContext,
  on: {
    hive: string | undefined;
    upgrade: AgentOptions['upgrade'];
    agentFiles: AgentFilePolicy;
    version: string;
  },
): Promise<JobResult> {
  const refuse = (message: string): JobResult => ({
    outcome: 'failed',
    error: { step: 'verify', message },
  });
  if (job.hive !== undefined && on.hive !== undefined && job.hive !== on.hive) {
    return refuse(`the upgrade job is for hive ${job.hive}, this is ${on.hive}`);
  }
  if (!on.upgrade) {
    return refuse(
      'this agent runs from a repository checkout, not as the bundle (rbee-agent.mjs): it cannot replace itself',
    );
  }
  if (job.agent) {
    try {
      await verifyAgentFile(job, ctx, on.agentFiles, on.version);
    } catch (error) {
      if (error instanceof StepError) return refuse(error.message);
      throw error;
    }
  }
  return on.upgrade.run(job, ctx);
}

/** A build never sees the agent's state folder (ledger, spool, other jobs' workspaces). */
function sandbox(options: SandboxOptions | undefined, stateDir: string): SandboxOptions {
  return { ...options, hidePaths: [stateDir, ...(options?.hidePaths ?? [])] };
}
