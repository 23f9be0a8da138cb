import pkg from '../../package.json' with { type: 'json' };

/** The package's version; the CLI bundle carries it inlined. */
export const VERSION: string = pkg.version;
