/** "12 s ago", "3 min ago", …, or the local date for anything older than a day. */
export function ago(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toLocaleString();
}

/** A step's duration: ms under a second, seconds under two minutes, then minutes. */
export const duration = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60000)} min`;

/** "1 hive", "2 hives". */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
