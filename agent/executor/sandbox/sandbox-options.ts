/** Defaults for every limit of the build sandbox; each is an option of runBuild and the agent. */
export const SANDBOX_DEFAULTS = {
  /** Processes the build user may have at once (RLIMIT_NPROC): a fork bomb stops here. */
  maxProcesses: 1024,
  /** Open files per process (RLIMIT_NOFILE). */
  maxOpenFiles: 16_384,
  /** Largest file a build may write (RLIMIT_FSIZE), 16 GiB. */
  maxFileBytes: 16 * 1024 * 1024 * 1024,
  /** cgroup v2 memory.max for the whole build, 8 GiB; applied where cgroups v2 are writable. */
  memoryBytes: 8 * 1024 * 1024 * 1024,
  /** cgroup v2 cpu.max as a share of one CPU (2 = two CPUs' worth); 0 leaves CPU unlimited. */
  cpus: 0,
  /** PKGBUILD functions reach the network, as under makepkg. */
  network: 'on' as 'on' | 'off',
} as const;

export type SandboxOptions = {
  /** `off` cuts the network for the PKGBUILD's own code (sourcing it and its functions). */
  network?: 'on' | 'off';
  maxProcesses?: number;
  maxOpenFiles?: number;
  maxFileBytes?: number;
  memoryBytes?: number;
  cpus?: number;
  /** Host folders the build may read (the system folders are always there), e.g. a fixture base. */
  readOnlyPaths?: string[];
  /** Host folders covered by an empty tmpfs when they would be visible: agent state, edge data. */
  hidePaths?: string[];
  /**
   * Build without a sandbox when none can be made. A root agent refuses to build otherwise;
   * a non-root one builds without it and warns.
   */
  unsafeNoSandbox?: boolean;
  /** The bwrap program (default `bwrap` on PATH). */
  bwrap?: string;
};

/** Every limit with its default filled in. */
export type SandboxLimits = {
  maxProcesses: number;
  maxOpenFiles: number;
  maxFileBytes: number;
  memoryBytes: number;
  cpus: number;
};

export function sandboxLimits(options: SandboxOptions): SandboxLimits {
  return {
    maxProcesses: options.maxProcesses ?? SANDBOX_DEFAULTS.maxProcesses,
    maxOpenFiles: options.maxOpenFiles ?? SANDBOX_DEFAULTS.maxOpenFiles,
    maxFileBytes: options.maxFileBytes ?? SANDBOX_DEFAULTS.maxFileBytes,
    memoryBytes: options.memoryBytes ?? SANDBOX_DEFAULTS.memoryBytes,
    cpus: options.cpus ?? SANDBOX_DEFAULTS.cpus,
  };
}
