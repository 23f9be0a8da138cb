import type { InstallRequest, Selector } from '../../shared/api/jobs.ts';
import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { followJob, followRollout } from './follow.ts';
import { printJson } from './output.ts';

/** A flag that must be a positive integer, or undefined when not given. */
export const int = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  }
  return Number(value);
};

/** `--selector os=linux --selector gpu=a100`: os, arch and accelerator, the rest are labels. */
export function parseSelector(pairs: string[]): Selector {
  const selector: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--selector must be key=value, got "${pair}"`);
    const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    if (key === 'os' || key === 'arch' || key === 'accelerator') selector[key] = value;
    else labels[key] = value;
  }
  if (Object.keys(labels).length > 0) selector.labels = labels;
  return selector as Selector;
}

export const installCommand = adminCommand({
  name: 'install',
  summary: 'install a worker on a hive or a fleet (--follow streams it and exits with its outcome)',
  usage: `usage: rbee install WORKER (--hive HIVE | --hives A,B | --selector k=v ...) [options]

options:
  --hive HIVE            one hive: a job
  --hives A,B            these hives: a rollout
  --selector k=v         every hive matching all (os=, arch=, accelerator=, or a label): a rollout
  --max-concurrency N    rollouts: jobs in progress at once
  --max-errors N         rollouts: failures after which the waiting jobs are cancelled
  --timeout-ms N         how long the build may run
  --force                install even where the hive has this version (else already_installed)
  --retries N            new attempts after an infrastructure failure (agent restart), not a build failure
  -f, --follow           a job: print its log live; a rollout: a progress line; then exit
                         with the outcome (0 succeeded, 1 failed, 7 cancelled, 8 timed out)`,
  flags: {
    hive: { type: 'string' },
    hives: { type: 'string' },
    selector: { type: 'string', multiple: true },
    'max-concurrency': { type: 'string' },
    'max-errors': { type: 'string' },
    'timeout-ms': { type: 'string' },
    force: { type: 'boolean' },
    retries: { type: 'string' },
    follow: { type: 'boolean' },
  },
  async run({ client, args, values, json }) {
    noMore(args, 1);
    const worker = need(args, 0, 'WORKER');
    const targets = [values.hive, values.hives, values.selector].filter((v) => v !== undefined);
    if (targets.length !== 1)
      throw new UsageError('give exactly one of --hive, --hives or --selector');
    const body: InstallRequest = { worker };
    if (values.hive) body.hive = values.hive;
    if (values.hives) body.hives = values.hives.split(',').filter(Boolean);
    if (values.selector) body.selector = parseSelector(values.selector);
    const concurrency = int('--max-concurrency', values['max-concurrency']);
    const errors = int('--max-errors', values['max-errors']);
    const timeout = int('--timeout-ms', values['timeout-ms']);
    if (concurrency) body.max_concurrency = concurrency;
    if (errors) body.max_errors = errors;
    if (timeout) body.timeout_ms = timeout;
    if (values.force) body.force = true;
    const retries = int('--retries', values.retries);
    if (retries) body.retries = retries;
    const created = await client.install(body);
    if (json && !values.follow) return printJson(created);
    if ('job' in created) {
      const note = created.job.already_installed ? ', already installed: --force to reinstall' : '';
      process.stderr.write(
        `job ${created.job.id}: install ${worker} on ${created.job.hive} (${created.job.state}${note})\n`,
      );
      return values.follow ? followJob(client, created.job.id) : 0;
    }
    process.stderr.write(
      `rollout ${created.rollout.id}: install ${worker} on ${created.rollout.counts.total} hives\n`,
    );
    return values.follow ? followRollout(client, created.rollout.id) : 0;
  },
});

export const uninstallCommand = adminCommand({
  name: 'uninstall',
  summary: 'uninstall a worker from a hive',
  usage: `usage: rbee uninstall WORKER --hive HIVE [--follow]`,
  flags: { hive: { type: 'string' }, follow: { type: 'boolean' } },
  async run({ client, args, values, json }) {
    noMore(args, 1);
    const worker = need(args, 0, 'WORKER');
    if (!values.hive) throw new UsageError('--hive is required');
    const { job } = await client.uninstall(values.hive, { worker });
    if (json && !values.follow) return printJson(job);
    process.stderr.write(`job ${job.id}: uninstall ${worker} from ${job.hive}\n`);
    return values.follow ? followJob(client, job.id) : 0;
  },
});
