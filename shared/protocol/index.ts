export * from './codec.ts';
export * from './errors.ts';
export * from './job.ts';
export * from './log-entry.ts';
export * from './messages.ts';
export * from './version.ts';
