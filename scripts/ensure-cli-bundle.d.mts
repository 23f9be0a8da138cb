/** Builds the CLI bundle unless `outfile` exists; true when it built (ensure-cli-bundle.mjs). */
export function ensureCliBundle(
  root: string,
  outfile?: string,
  say?: (line: string) => void,
): boolean;
