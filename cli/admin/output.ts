/** Prints rows as aligned columns, the header first; cells are strings already. */
export function printTable(header: string[], rows: string[][], out = process.stdout) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  out.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/** Prints a value as JSON; returns exit status 0 so a command can `return printJson(x)`. */
export function printJson(value: unknown, out = process.stdout): number {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

/** A time as the tables show it: ISO without milliseconds, or `-`. */
export const when = (ms: number | null | undefined) =>
  ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';

/** A duration in seconds with one decimal. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
