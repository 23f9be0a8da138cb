/** Counters of what crossed the agent sockets; served at GET /api/metrics. */
export class HubMetrics {
  readonly received: Record<string, number> = {};
  readonly sent: Record<string, number> = {};
  readonly refused: Record<string, number> = {};
  logEntriesStored = 0;
  connections = 0;

  count(table: Record<string, number>, key: string) {
    table[key] = (table[key] ?? 0) + 1;
  }
}
