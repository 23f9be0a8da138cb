import type { LogEntry } from './log-entry.ts';

/**
 * Consecutive log entries as one JSON array text: what the agent's spool holds, what a `logs`
 * frame carries and what the edge stores, so a line is serialised once on its way. Every entry
 * has `s` as its first key, so the text between two entries is exactly `},{"s":` and an entry
 * starts with `{"s":N,`; no JSON string can hold either (its quotes are escaped), so a batch is
 * cut and joined at any seq without parsing it.
 */
export type LogBatch = {
  /** Seq of the first entry. */
  readonly first: number;
  readonly count: number;
  /** The entries as a JSON array, each with `s` first. */
  readonly text: string;
};

/** Between two entries of a batch's text. */
export const ENTRY_BOUNDARY = '},{"s":';

/** A batch of consecutive entries (each gets `s` as its first key if it did not have it). */
export function logBatch(entries: readonly LogEntry[]): LogBatch {
  return {
    first: entries[0]?.s ?? 0,
    count: entries.length,
    text: JSON.stringify(entries.map(sFirst)),
  };
}

/** The part of a batch from seq `from` on (`first ≤ from < first + count`). */
export function sliceBatch(batch: LogBatch, from: number): LogBatch {
  if (from <= batch.first) return batch;
  const at = batch.text.indexOf(`{"s":${from},`);
  if (at === -1 || from >= batch.first + batch.count) {
    throw new RangeError(`seq ${from} is not in the batch ${batch.first}+${batch.count}`);
  }
  return {
    first: from,
    count: batch.count - (from - batch.first),
    text: `[${batch.text.slice(at)}`,
  };
}

/** Batches that follow one another, as one. */
export function joinBatches(batches: readonly LogBatch[]): LogBatch {
  if (batches.length === 1) return batches[0]!;
  let count = 0;
  const parts: string[] = [];
  for (const batch of batches) {
    count += batch.count;
    parts.push(batch.text.slice(1, -1));
  }
  return { first: batches[0]!.first, count, text: `[${parts.join(',')}]` };
}

/** The entry with `s` as its first key. */
function sFirst(entry: LogEntry): LogEntry {
  // A for…in that stops at the first key allocates nothing (Object.keys would, per entry).
  for (const key in entry) {
    if (key === 's') return entry;
    break;
  }
  const { s, ...rest } = entry;
  return { s, ...rest } as LogEntry;
}
