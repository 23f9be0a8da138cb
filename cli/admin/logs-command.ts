import { UsageError } from '../command.ts';
import { adminCommand, need, noMore } from './admin-command.ts';
import { followJob } from './follow.ts';
import { keepColours, stripAnsi } from './log-printer.ts';

export const logsCommand = adminCommand({
  name: 'logs',
  summary: "print a job's log; -f follows it to the end and exits with its outcome",
  usage: `usage: rbee logs JOB [-f|--follow] [--from SEQ]

Prints the stored log. With -f, follows it live (resuming after a dropped connection or an
edge restart, without losing or doubling a line) and exits with the job's outcome.
Colours are kept on a terminal and stripped when piped (or with NO_COLOR).`,
  flags: { follow: { type: 'boolean' }, from: { type: 'string' } },
  async run({ client, args, values }) {
    noMore(args, 1);
    const job = need(args, 0, 'JOB');
    const from = values.from === undefined ? 0 : Number(values.from);
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new UsageError('--from must be a sequence number');
    }
    if (values.follow) return followJob(client, job, from);
    const text = await client.logText(job);
    process.stdout.write(keepColours(process.stdout) ? text : stripAnsi(text));
    return 0;
  },
});
