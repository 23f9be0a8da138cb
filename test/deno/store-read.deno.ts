// Prints one job from a store file, read under Deno: proves Node-written values are portable.
import { openDenoStore } from '../../edge/deno/open-store.ts';

const [dir, id] = Deno.args;
const store = await openDenoStore(dir!);
console.log(JSON.stringify(await store.getJob(id!)));
await store.close();
