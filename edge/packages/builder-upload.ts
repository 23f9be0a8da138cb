import type { Context } from 'hono';
import { readPublicKey } from '../../shared/catalog/signature.ts';
import { BuildRecordError, sameFiles, verifyRecordWith } from '../../shared/repo/build-record.ts';
import type { PackageUpload } from '../../shared/repo/package-record.ts';
import { apiError } from '../http/errors.ts';
import type { HiveRecord } from '../store/records.ts';

/** Only hives an admin marked as builders fill the package cache. */
export const notABuilder = (c: Context, hive: HiveRecord) =>
  apiError(
    c,
    403,
    'NOT_A_BUILDER',
    `hive ${hive.name} (${hive.id}) is not a builder: only hives an admin marked as builders (POST /api/hives/:id/builder) may upload to the package cache`,
  );

/**
 * The record a builder uploads must be signed with the key it registered, name this hive and
 * this cache key, and describe exactly the files of the upload. Agents check the same against
 * the signed builder set; the edge checks it too so a wrong record is refused at the door.
 * Returns the refusal, or undefined when the record holds.
 */
export async function checkUploadRecord(
  c: Context,
  hive: HiveRecord,
  key: string,
  upload: PackageUpload,
): Promise<Response | undefined> {
  const refuse = (rule: string, message: string) =>
    apiError(c, 400, 'BAD_BUILD_RECORD', `${rule}: ${message}`);
  if (!hive.builder_key)
    return apiError(
      c,
      409,
      'NO_BUILDER_KEY',
      `hive ${hive.name} has registered no builder key (its agent does on connect: PUT /agent/builder-key)`,
    );
  if (upload.signed.key_id !== hive.builder_key.id)
    return refuse(
      'BAD_RECORD_SIGNATURE',
      `the record is signed by key ${upload.signed.key_id}; hive ${hive.name}'s builder key is ${hive.builder_key.id}`,
    );
  let record: Awaited<ReturnType<typeof verifyRecordWith>>;
  try {
    record = await verifyRecordWith(upload.signed, await readPublicKey(hive.builder_key.pem));
  } catch (error) {
    if (error instanceof BuildRecordError) return refuse(error.rule, error.message);
    throw error;
  }
  const wrong: string[] = [];
  if (record.hive !== hive.id)
    wrong.push(`it names hive ${record.hive}, the uploader is ${hive.id}`);
  if (record.key !== key) wrong.push(`it is for key ${record.key}, not ${key}`);
  if (record.worker !== upload.worker || record.version !== upload.version)
    wrong.push(
      `it is ${record.worker} ${record.version}, the upload ${upload.worker} ${upload.version}`,
    );
  if (record.job !== upload.job) wrong.push(`it names job ${record.job}, the upload ${upload.job}`);
  if (!sameFiles(record.files, upload.files)) wrong.push("its files differ from the upload's");
  return wrong.length > 0
    ? refuse('RECORD_MISMATCH', `the signed record ${wrong.join('; ')}`)
    : undefined;
}
