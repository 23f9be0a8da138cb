import { chown } from 'node:fs/promises';
import type { BuildContext } from '../build-context.ts';

/** Files the executor writes itself belong to the build user, like the rest of the tree. */
export async function handOver(ctx: BuildContext, path: string): Promise<void> {
  if (ctx.user) await chown(path, ctx.user.uid, ctx.user.gid);
}
