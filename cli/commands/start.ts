import { join, resolve } from 'node:path';
import { startAgent } from '../../agent/agent.ts';
import { edgeDefaults } from '../../edge/config.ts';
import { type Command, UsageError } from '../command.ts';
import { parseEdgeFlags, startEdgeOrExplain } from './edge.ts';
import { localHiveToken } from './local-hive.ts';

/** Takes `--install-root DIR` out of argv; the rest are the edge's flags. */
function takeInstallRoot(argv: string[]): { installRoot: string | null; rest: string[] } {
  const rest: string[] = [];
  let installRoot: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--install-root') {
      const value = argv[++i];
      if (!value) throw new UsageError('--install-root needs a value');
      installRoot = value;
    } else if (arg.startsWith('--install-root=')) {
      installRoot = arg.slice('--install-root='.length);
    } else {
      rest.push(arg);
    }
  }
  return { installRoot, rest };
}

/** `npm start`: the edge with its embedded store, plus a local agent enrolled as hive `local`. */
export const startCommand: Command = {
  name: 'start',
  summary: 'the main job: the edge with its embedded store and dashboard, plus a local agent',
  usage: `usage: rbee start [--port ${edgeDefaults.port}] [--host ADDR] [--data DIR] [--install-root DIR]

Starts the edge (catalog, admin API, agent hub, dashboard) with its embedded store, and a
local agent enrolled as hive "local" that installs into --install-root
(default <data>/agent/root, so trying the demo never writes outside the data folder).
Takes every option of 'rbee edge' as well. Stop with Ctrl-C.`,
  async run(argv) {
    const { installRoot, rest } = takeInstallRoot(argv);
    const config = parseEdgeFlags(rest);
    const running = await startEdgeOrExplain(config);
    if (!running) return 1;
    const dataDir = resolve(config.dataDir);
    const token = await localHiveToken(running.store, dataDir, Date.now());
    const agentUrl = `http://127.0.0.1:${running.port}`;
    const agent = await startAgent({
      edge: agentUrl,
      token,
      stateDir: join(dataDir, 'agent'),
      installRoot: installRoot ? resolve(installRoot) : join(dataDir, 'agent', 'root'),
      log: (line) => process.stdout.write(`[agent] ${line}\n`),
    });
    const out = [
      '',
      `rbee fleet is running — edge listening on ${running.url}`,
      `  dashboard:  ${running.url}/`,
      `  catalog:    ${running.url}/workers`,
      `  local hive: "local" (agent state in ${join(dataDir, 'agent')})`,
      running.adminToken
        ? `  admin token (shown once, keep it): ${running.adminToken}`
        : '  admin token: the one printed at the first start (or set RBEE_ADMIN_TOKEN to replace it)',
      '',
      `try: curl -H "Authorization: Bearer <admin token>" -d '{"hive":"local","worker":"rbee-hello-worker"}' ${running.url}/api/installs`,
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await agent.stop();
    await running.close();
    return 0;
  },
};
