import { Layout } from '../layout.tsx';
import type { Who } from '../who.ts';

/** Named API tokens (admin): make one with a role, list them, revoke one. */
export function TokensPage({ who }: { who: Who }) {
  return (
    <Layout title="Tokens" page="tokens" who={who}>
      <h1>API tokens</h1>
      <p class="muted">
        A viewer reads everything and follows logs; an operator also installs, uninstalls and
        cancels; an admin also manages hives, enrolment and tokens. Each can sign in here.
      </p>
      <form id="token-form" class="card filters">
        <label>
          Name <input type="text" name="name" required placeholder="ci-bot" spellcheck={false} />
        </label>
        <label>
          Role
          <select name="role">
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Expires in <input type="text" name="expires_in" placeholder="never (or 30d, 12h)" />
        </label>
        <button type="submit" class="primary">
          Create token
        </button>
      </form>
      <div id="token-result" />
      <table class="grid" id="tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th>Expires</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody />
      </table>
    </Layout>
  );
}
