import { jobStateSchema } from '../../shared/protocol/job.ts';
import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { printJson, printTable, when } from './output.ts';

export const jobsCommand = adminCommand({
  name: 'jobs',
  summary: 'list, show and cancel jobs',
  usage: `usage: rbee jobs [ls] [--hive HIVE] [--state STATE] [--limit N] [--json]
       rbee jobs show JOB [--json]
       rbee jobs cancel JOB`,
  flags: { hive: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' } },
  async run({ client, args, values, json }) {
    const sub = args[0] ?? 'ls';
    if (sub === 'ls' || sub === 'list') {
      noMore(args, 1);
      const state = values.state === undefined ? undefined : jobStateSchema.safeParse(values.state);
      if (state && !state.success) {
        throw new UsageError(`--state must be one of ${jobStateSchema.options.join(', ')}`);
      }
      if (values.limit !== undefined && !/^\d{1,4}$/.test(values.limit)) {
        throw new UsageError(`--limit must be an integer from 1 to 1000, got "${values.limit}"`);
      }
      const jobs = await client.listJobs({
        ...(values.hive ? { hive: values.hive } : {}),
        ...(state?.success ? { state: state.data } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      });
      if (json) return printJson(jobs);
      printTable(
        ['ID', 'KIND', 'WORKER', 'HIVE', 'STATE', 'STEP', 'CREATED'],
        jobs.map((j) => [
          j.id,
          j.kind,
          j.worker,
          j.hive,
          j.state,
          j.step ?? '-',
          when(j.created_at),
        ]),
      );
      return 0;
    }
    if (sub === 'show') {
      noMore(args, 2);
      const job = await client.getJob(need(args, 1, 'JOB'));
      if (json) return printJson(job);
      const rows: string[][] = [
        ['id', job.id],
        ['kind', job.kind],
        ['worker', job.worker],
        ['hive', job.hive],
        ['state', job.state],
        ['step', job.step ?? '-'],
        ['rollout', job.rollout ?? '-'],
        ['created', when(job.created_at)],
        ['ended', when(job.ended_at)],
        ['log', `${job.log_entries} entries, ${job.log_bytes} bytes`],
      ];
      if (job.error) rows.push(['error', job.error.message]);
      printTable(['FIELD', 'VALUE'], rows);
      return 0;
    }
    if (sub === 'cancel') {
      noMore(args, 2);
      const job = await client.cancelJob(need(args, 1, 'JOB'));
      if (json) return printJson(job);
      process.stdout.write(
        `${job.id}: ${job.state}${job.cancel_requested ? ' (cancel requested)' : ''}\n`,
      );
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}" (ls, show, cancel)`);
  },
});
