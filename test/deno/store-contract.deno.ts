// Runs the store contract under Deno against Deno.openKv; prints one line per case and a total.
import { openDenoStore } from '../../edge/deno/open-store.ts';
import { storeContract } from '../edge/store-contract.ts';

const base = Deno.args[0] ?? (await Deno.makeTempDir());
let passed = 0;
let failed = 0;
for (const [i, [name, run]] of storeContract.entries()) {
  const store = await openDenoStore(`${base}/${i}`);
  try {
    await run(store);
    passed++;
    console.log(`ok ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAILED ${name}: ${error instanceof Error ? error.stack : error}`);
  } finally {
    await store.close();
  }
}
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
