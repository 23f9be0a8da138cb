import { z } from 'zod';
import { installedWorkerSchema, platformInfoSchema } from '../protocol/messages.ts';
import { hiveNameSchema, labelsSchema } from './common.ts';

/** `POST /api/hives`: enrol a hive by name. */
export const createHiveRequestSchema = z
  .object({ name: hiveNameSchema, labels: labelsSchema.optional() })
  .strict();

/** The enrolled hive and its token, shown this once. */
export const createHiveResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  token: z.string(),
});

/** A hive as the API shows it: never the token hash; `online` from the live socket map. */
export const hiveSchema = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  online: z.boolean(),
  last_seen: z.number().nullable(),
  created_at: z.number(),
  platform: platformInfoSchema.nullable(),
  installed: z.array(installedWorkerSchema),
  agent_version: z.string().nullable(),
  /** May upload to the package cache (`POST /api/hives/:id/builder`). */
  builder: z.boolean(),
  builder_key_id: z.string().nullable(),
  /**
   * Its agent is older than the one the edge serves (`edge_agent_version`); null when either
   * version is unknown (no bundle on the edge, or the hive never said hello).
   */
  agent_outdated: z.boolean().nullable().optional(),
  /** The agent version this edge serves (`GET /agent/version`), null when it serves none. */
  edge_agent_version: z.string().nullable().optional(),
  /** The agent can replace itself (upgrade jobs): it said so in its last hello. */
  agent_upgradable: z.boolean().optional(),
});
export type Hive = z.infer<typeof hiveSchema>;

export const listHivesResponseSchema = z.object({ hives: z.array(hiveSchema) });
export const deleteHiveResponseSchema = z.object({ deleted: z.string() });

/** `GET /api/hives/:id/workers`: what the hive reported as installed. */
export const hiveWorkersResponseSchema = z.object({
  hive: z.string(),
  platform: platformInfoSchema.nullable(),
  workers: z.array(installedWorkerSchema),
});

/** `GET /api/hives/:id/catalog`: the catalog as one hive sees it. */
export const hiveCatalogResponseSchema = z.object({
  hive: z.string(),
  platform: platformInfoSchema.nullable(),
  workers: z.array(
    z.looseObject({ id: z.string(), runnable: z.boolean(), reasons: z.array(z.string()) }),
  ),
});
