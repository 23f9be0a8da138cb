import { Histogram, LATENCY_BUCKETS } from '../metrics/histogram.ts';

/** Counters of what crossed the agent sockets; served at GET /api/metrics and /metrics. */
export class HubMetrics {
  readonly received: Record<string, number> = {};
  readonly sent: Record<string, number> = {};
  readonly refused: Record<string, number> = {};
  logEntriesStored = 0;
  logBytesStored = 0;
  /** Seconds each log append took in the store. */
  readonly logCommit = new Histogram(LATENCY_BUCKETS);
  connections = 0;

  count(table: Record<string, number>, key: string) {
    table[key] = (table[key] ?? 0) + 1;
  }
}
