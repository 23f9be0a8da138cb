import type { Histogram } from './histogram.ts';

/** A label value as the text format writes it: backslash, quote and newline escaped. */
const escapeValue = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const labelText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
};

/**
 * Writes metrics in the Prometheus text exposition format (version 0.0.4): a HELP and TYPE line
 * per family, then its samples. Hand-written: the format is a dozen lines, and the npm clients
 * keep a global registry, which does not fit an edge built by a factory per test.
 */
export class PrometheusText {
  #out: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string) {
    this.#out.push(`# HELP ${name} ${help.replace(/\n/g, ' ')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}) {
    this.#out.push(`${name}${labelText(labels)} ${Number.isFinite(value) ? value : 'NaN'}`);
    return this;
  }

  /** A gauge or counter family with one sample per entry of `values`, labelled by `label`. */
  table(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    rows: { labels: Record<string, string>; value: number }[],
  ) {
    this.family(name, type, help);
    for (const row of rows) this.sample(name, row.value, row.labels);
    return this;
  }

  histogram(name: string, help: string, histogram: Histogram) {
    this.family(name, 'histogram', help);
    for (const s of histogram.series()) {
      histogram.buckets.forEach((le, i) => {
        this.sample(`${name}_bucket`, s.counts[i]!, { ...s.labels, le: String(le) });
      });
      this.sample(`${name}_bucket`, s.count, { ...s.labels, le: '+Inf' });
      this.sample(`${name}_sum`, s.sum, s.labels);
      this.sample(`${name}_count`, s.count, s.labels);
    }
    return this;
  }

  toString() {
    return `${this.#out.join('\n')}\n`;
  }
}
