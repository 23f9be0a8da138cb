import { Layout } from '../layout.tsx';
import type { Who } from '../who.ts';

/** Enrolment tokens (admin): one token enrols many machines with the install one-liner. */
export function EnrolmentPage({ who }: { who: Who }) {
  return (
    <Layout title="Enrolment" page="enrolment" who={who}>
      <h1>Enrolment tokens</h1>
      <p class="muted">
        An enrolment token lets machines enrol themselves as hives: paste the one-liner on each
        machine. Hives take the token's labels; the token is shown once. The one-liner carries the
        fleet's public key (<code>--trust-key</code>), which the edge never holds: paste the line of
        your <code>fleet.pub</code> (this browser keeps it for next time).
      </p>
      <form id="enrol-form" class="card filters">
        <label>
          Name <input type="text" name="name" placeholder="gpu racks, eu" />
        </label>
        <label>
          Labels <input type="text" name="labels" placeholder="gpu=a100,zone=eu" />
        </label>
        <label>
          Uses <input type="number" name="max_uses" min={1} placeholder="unlimited" />
        </label>
        <label>
          Expires in
          <select name="expires_in">
            <option value="3600">1 hour</option>
            <option value="86400" selected>
              1 day
            </option>
            <option value="604800">7 days</option>
            <option value="2592000">30 days</option>
          </select>
        </label>
        <label>
          Fleet key{' '}
          <input
            type="text"
            name="trust_key"
            placeholder="base64 line of fleet.pub"
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <button type="submit" class="primary">
          Create enrolment token
        </button>
      </form>
      <div id="enrol-result" />
      <table class="grid" id="enrolment-tokens">
        <thead>
          <tr>
            <th>Token</th>
            <th>Labels</th>
            <th>Uses left</th>
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
