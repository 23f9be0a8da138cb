import type { ListBuildersResponse } from '../../shared/api/builders.ts';
import { type SignedEnvelope, signedEnvelopeSchema } from '../../shared/catalog/signature.ts';
import { readBuilderSet } from '../../shared/repo/build-record.ts';
import type { HiveRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';

/** The store's meta key of the signed builder set (one per fleet). */
export const BUILDER_SET_META = 'builder_set';

/** The builder set the admins last signed, as stored (the edge cannot check its signature). */
export async function readSignedSet(store: Store): Promise<SignedEnvelope | null> {
  const text = await store.getMeta(BUILDER_SET_META);
  if (text === null) return null;
  const parsed = signedEnvelopeSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/** `GET /api/builders`: builder hives with their keys, beside the signed set and whether it is current. */
export function builderList(
  hives: HiveRecord[],
  signed: SignedEnvelope | null,
): ListBuildersResponse {
  const set = signed ? readBuilderSet(signed) : null;
  const inSet = new Set(set?.builders.map((b) => `${b.hive}\0${b.key_id}`) ?? []);
  const builders = hives
    .filter((h) => h.builder === true)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((h) => ({
      hive: h.id,
      name: h.name,
      key_id: h.builder_key?.id ?? null,
      public_key: h.builder_key?.pem ?? null,
      registered_at: h.builder_key?.registered_at ?? null,
      signed: h.builder_key ? inSet.has(`${h.id}\0${h.builder_key.id}`) : false,
    }));
  const wanted = builders.filter((b) => b.key_id !== null);
  const current =
    set !== null && wanted.every((b) => b.signed) && set.builders.length === wanted.length;
  return {
    builders,
    signed:
      signed && set
        ? {
            key_id: signed.key_id,
            signed_at: set.signed_at,
            builders: set.builders.map((b) => ({ hive: b.hive, name: b.name, key_id: b.key_id })),
          }
        : null,
    current,
  };
}
