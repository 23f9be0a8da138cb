import type { CatalogEntry } from '../../shared/catalog/schema.ts';

const llamaOrch = 'https://github.com/veighnsche/llama-orch';

/** The three variants of the rbee LLM worker, as the original catalog listed them. */
function llmWorker(
  variant: 'cpu' | 'cuda' | 'metal',
  fields: Pick<CatalogEntry, 'name' | 'description' | 'platforms' | 'architectures' | 'depends'>,
): CatalogEntry {
  return {
    id: `llm-worker-rbee-${variant}`,
    implementation: 'llm-worker-rbee',
    worker_type: variant,
    version: '0.1.0',
    ...fields,
    license: 'GPL-3.0-or-later',
    build_system: 'cargo',
    source: {
      type: 'git',
      url: `${llamaOrch}.git`,
      branch: 'main',
      path: 'bin/30_llm_worker_rbee',
    },
    build: { features: [variant], profile: 'release', flags: ['--no-default-features'] },
    makedepends: ['rust', 'cargo', 'git'],
    binary_name: `llm-worker-rbee-${variant}`,
    install_path: `/usr/local/bin/llm-worker-rbee-${variant}`,
    supported_formats: ['gguf', 'safetensors'],
    max_context_length: 32768,
    supports_streaming: true,
    supports_batching: false,
  };
}

/** The seeded catalog. Each entry has a folder `workers/<id>/` holding its PKGBUILD and local sources. */
export const seedEntries: CatalogEntry[] = [
  llmWorker('cpu', {
    name: 'LLM Worker (CPU)',
    description: 'Candle-based LLM inference worker for CPUs',
    platforms: ['linux', 'macos', 'windows'],
    architectures: ['x86_64', 'aarch64'],
    depends: ['gcc'],
  }),
  llmWorker('cuda', {
    name: 'LLM Worker (CUDA)',
    description: 'Candle-based LLM inference worker for NVIDIA GPUs',
    platforms: ['linux', 'windows'],
    architectures: ['x86_64'],
    depends: ['gcc', 'cuda'],
  }),
  llmWorker('metal', {
    name: 'LLM Worker (Metal)',
    description: 'Candle-based LLM inference worker for Apple silicon GPUs',
    platforms: ['macos'],
    architectures: ['aarch64'],
    depends: ['clang'],
  }),
  {
    id: 'rbee-hello-worker',
    implementation: 'rbee-hello-worker',
    worker_type: 'cpu',
    version: '1.0.0',
    platforms: ['linux', 'macos'],
    architectures: ['x86_64', 'aarch64'],
    name: 'Hello Worker (offline demo)',
    description:
      'A tiny worker with a man page and a config file that builds offline from files the catalog serves',
    license: 'GPL-3.0-or-later',
    build_system: 'pkgbuild',
    source: { type: 'local', url: '/workers/rbee-hello-worker/files/' },
    build: {},
    depends: ['bash'],
    makedepends: [],
    binary_name: 'rbee-hello-worker',
    install_path: '/usr/local/bin/rbee-hello-worker',
    supported_formats: [],
    supports_streaming: false,
    supports_batching: false,
  },
];
