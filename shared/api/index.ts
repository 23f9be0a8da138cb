/** The admin API's request and answer schemas and its route table: one source for the edge, the client and OpenAPI. */
export * from './agents.ts';
export * from './audit.ts';
export * from './common.ts';
export * from './enrolment.ts';
export * from './hives.ts';
export * from './jobs.ts';
export * from './routes.ts';
export * from './tokens.ts';
export * from './webhooks.ts';
