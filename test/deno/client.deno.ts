/**
 * The typed client under Deno: `deno run --allow-net test/deno/client.deno.ts EDGE TOKEN JOB`.
 * Prints one JSON line of what it saw; test/shared/client.test.ts checks it.
 */
import { ApiError, createClient } from '../../shared/client/index.ts';

const [edge, token, job] = Deno.args as [string, string, string];
const client = createClient({ edge, token });
const me = await client.whoami();
const hives = await client.listHives();
let missing: { status: number; code: string } | null = null;
try {
  await client.getJob('job_doesnotexist00');
} catch (error) {
  if (error instanceof ApiError) missing = { status: error.status, code: error.code };
}
const lines: string[] = [];
let end = '';
for await (const event of client.followLogs(job)) {
  if (event.type === 'lines') lines.push(...event.lines.map((l) => l.x));
  if (event.type === 'end') end = event.state.state;
}
console.log(JSON.stringify({ me, hives: hives.map((h) => h.name), missing, lines, end }));
