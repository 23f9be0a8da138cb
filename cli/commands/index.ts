import type { Command } from '../command.ts';

/** A subcommand as `rbee --help` lists it; its module is loaded only when it runs. */
export type CommandEntry = { name: string; summary: string; load: () => Promise<Command> };

/**
 * Every subcommand, in the order `rbee --help` lists them. Loading lazily keeps `rbee build`
 * from paying for the edge's and the agent's modules at start-up.
 */
export const commands: CommandEntry[] = [
  {
    name: 'start',
    summary: 'the main job: the edge with its embedded store and dashboard, plus a local agent',
    load: async () => (await import('./start.ts')).startCommand,
  },
  {
    name: 'edge',
    summary: 'run the edge: catalog, admin API, agent hub and dashboard',
    load: async () => (await import('./edge.ts')).edgeCommand,
  },
  {
    name: 'agent',
    summary: 'run the hive agent: dial the edge, build what it sends, stream the logs',
    load: async () => (await import('./agent.ts')).agentCommand,
  },
  {
    name: 'srcinfo',
    summary: "print a PKGBUILD's .SRCINFO (makepkg --printsrcinfo, without bash)",
    load: async () => (await import('./srcinfo.ts')).srcinfoCommand,
  },
  {
    name: 'build',
    summary:
      'build a PKGBUILD folder like makepkg --nodeps (--noarchive unless --archive), printing its output',
    load: async () => (await import('./build.ts')).buildCommand,
  },
  {
    name: 'keys',
    summary: "make the fleet's signing key pair (rbee keys generate --out PREFIX)",
    load: async () => (await import('./keys.ts')).keysCommand,
  },
  {
    name: 'catalog',
    summary: 'sign a catalog folder with the fleet key (rbee catalog sign --key K DIR)',
    load: async () => (await import('./catalog-sign.ts')).catalogCommand,
  },
  {
    name: 'hives',
    summary: 'admin: list, show, enrol and remove hives',
    load: async () => (await import('../admin/hives-command.ts')).hivesCommand,
  },
  {
    name: 'install',
    summary: 'admin: install a worker on a hive or a fleet, --follow to stream it',
    load: async () => (await import('../admin/install-command.ts')).installCommand,
  },
  {
    name: 'uninstall',
    summary: 'admin: uninstall a worker from a hive',
    load: async () => (await import('../admin/install-command.ts')).uninstallCommand,
  },
  {
    name: 'jobs',
    summary: 'admin: list, show and cancel jobs',
    load: async () => (await import('../admin/jobs-command.ts')).jobsCommand,
  },
  {
    name: 'logs',
    summary: "admin: print or follow (-f) a job's log",
    load: async () => (await import('../admin/logs-command.ts')).logsCommand,
  },
  {
    name: 'rollouts',
    summary: 'admin: list, show, follow and cancel rollouts',
    load: async () => (await import('../admin/rollouts-command.ts')).rolloutsCommand,
  },
  {
    name: 'tokens',
    summary: 'admin: named API tokens with roles (viewer, operator, admin)',
    load: async () => (await import('../admin/tokens-command.ts')).tokensCommand,
  },
  {
    name: 'audit',
    summary: 'admin: the audit log (who changed what, when, from where)',
    load: async () => (await import('../admin/audit-command.ts')).auditCommand,
  },
  {
    name: 'builders',
    summary: 'admin: builder hives of the package cache, and signing their keys with the fleet key',
    load: async () => (await import('./builders.ts')).buildersCommand,
  },
  {
    name: 'agents',
    summary:
      'admin: upgrade hives to the edge agent (a rollout), sign agent files with the fleet key',
    load: async () => (await import('../admin/agents-command.ts')).agentsCommand,
  },
  {
    name: 'webhooks',
    summary: 'admin: webhooks for fleet events, their signed deliveries and outcomes',
    load: async () => (await import('../admin/webhooks-command.ts')).webhooksCommand,
  },
  {
    name: 'version',
    summary: "print rbee's version",
    load: async () => (await import('../admin/version-command.ts')).versionCommand,
  },
];
