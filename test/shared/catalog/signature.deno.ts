/**
 * Run by signature-runtimes.test.ts under Deno: verifies the statement Node signed (argv: the
 * envelope file and the public key file), and signs one of its own for Node to verify.
 */
import {
  generateKeyPair,
  readPrivateKey,
  readPublicKey,
  signPayload,
  verifyEnvelope,
} from '../../../shared/catalog/signature.ts';

/** The two Deno APIs used, typed here because the Node type-check has no Deno types. */
const Deno = (
  globalThis as unknown as { Deno: { args: string[]; readTextFile(p: string): Promise<string> } }
).Deno;

const [envelopeFile, pubFile] = Deno.args;
const fromNode = JSON.parse(await Deno.readTextFile(envelopeFile!));
const trusted = [await readPublicKey(await Deno.readTextFile(pubFile!))];
const verified = (await verifyEnvelope(fromNode, trusted)).payload;
let tamperedRule = '';
try {
  await verifyEnvelope({ ...fromNode, payload: `${fromNode.payload} ` }, trusted);
} catch (error) {
  tamperedRule = (error as { rule?: string }).rule ?? String(error);
}
const pair = await generateKeyPair();
const envelope = await signPayload('{"signed":"on deno"}', await readPrivateKey(pair.privatePem));
console.log(JSON.stringify({ verified, tamperedRule, envelope, publicPem: pair.publicPem }));
