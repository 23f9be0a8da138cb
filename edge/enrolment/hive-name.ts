/**
 * A hive name (`[a-z0-9][a-z0-9-]{0,62}`) from a machine's hostname: lower-cased, the first
 * label of a dotted name, anything else turned into `-`.
 * @example hiveNameFor('GPU_01.lab.example') // 'gpu-01'
 */
export function hiveNameFor(hostname: string): string {
  const first = hostname.trim().toLowerCase().split('.')[0] ?? '';
  const name = first
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? 'hive' : name;
}
