import { z } from 'zod';

/** `POST /api/hives/:id/builder`: mark a hive a builder (it may upload to the package cache), or not. */
export const setBuilderRequestSchema = z.object({ builder: z.boolean() }).strict();
export type SetBuilderRequest = z.infer<typeof setBuilderRequestSchema>;

export const setBuilderResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  builder: z.boolean(),
  /** The key its agent registered; null until the agent connects once. */
  builder_key_id: z.string().nullable(),
});

/** `PUT /agent/builder-key`: the agent's own public key for signing build records (SPKI PEM). */
export const builderKeyRequestSchema = z
  .object({ public_key: z.string().min(1).max(4096) })
  .strict();

/** One builder hive as `GET /api/builders` lists it. */
export const builderViewSchema = z.object({
  hive: z.string(),
  name: z.string(),
  /** Null: its agent has not registered a key yet (it does on connect). */
  key_id: z.string().nullable(),
  public_key: z.string().nullable(),
  registered_at: z.number().nullable(),
  /** Its key is in the signed builder set (agents install what it builds). */
  signed: z.boolean(),
});
export type BuilderView = z.infer<typeof builderViewSchema>;

/** `GET /api/builders`: the builders, and the set the admins last signed. */
export const listBuildersResponseSchema = z.object({
  builders: z.array(builderViewSchema),
  signed: z
    .object({
      key_id: z.string(),
      signed_at: z.number(),
      builders: z.array(z.object({ hive: z.string(), name: z.string(), key_id: z.string() })),
    })
    .nullable(),
  /** The signed set names exactly the builders and keys of now: nothing to sign again. */
  current: z.boolean(),
});
export type ListBuildersResponse = z.infer<typeof listBuildersResponseSchema>;

/** `POST /api/builders/signed`: what was stored. */
export const putBuilderSetResponseSchema = z.object({
  key_id: z.string(),
  signed_at: z.number(),
  builders: z.number(),
});
