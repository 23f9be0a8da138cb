/** The typed rbee admin API client (web standards only: browsers, Node, Deno). */
export { ApiError } from './api-error.ts';
export { type Client, type ClientOptions, createClient, type JobDetail } from './create-client.ts';
export type { FollowOptions, JobStateEvent, LogEvent } from './follow-logs.ts';
export type { InstallResult, InstallWorkerOptions } from './install-worker.ts';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
  type WebhookVerdict,
} from './webhook-signature.ts';
