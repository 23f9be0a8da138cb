export * from './codec.ts';
export * from './errors.ts';
export * from './job.ts';
export * from './log-batch.ts';
export * from './log-entry.ts';
export * from './logs-frame.ts';
export * from './messages.ts';
export * from './version.ts';
