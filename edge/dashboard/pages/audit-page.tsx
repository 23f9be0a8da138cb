import { Layout } from '../layout.tsx';
import type { Who } from '../who.ts';

/** The audit log: who changed what, when and from where, filtered by actor and action. */
export function AuditPage({ who }: { who: Who }) {
  return (
    <Layout title="Audit" page="audit" who={who}>
      <h1>Audit log</h1>
      <form id="audit-filters" class="filters">
        <label>
          Actor <input type="text" name="actor" placeholder="any" spellcheck={false} />
        </label>
        <label>
          Action <input type="text" name="action" placeholder="any, e.g. worker.install" />
        </label>
        <label>
          Since
          <select name="since">
            <option value="">ever</option>
            <option value="3600000">the last hour</option>
            <option value="86400000">the last day</option>
            <option value="604800000">the last week</option>
          </select>
        </label>
      </form>
      <table class="grid" id="audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Answer</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody />
      </table>
    </Layout>
  );
}
