import type {
  CreateEnrolmentTokenRequest,
  EnrolmentToken,
} from '../../../shared/api/dashboard-types.ts';
import { client, why } from './client.ts';
import { $, badge, h } from './dom.ts';
import { secretBox } from './secret-box.ts';

/** What the one-liner says in place of the fleet key until the admin pastes it. */
export const FLEET_KEY_PLACEHOLDER = 'FLEET_PUB';

/**
 * The command that installs the agent on a machine and enrols it with `token`, against this
 * edge (the origin the admin reaches it by; install.sh downloads the agent from it), trusting
 * the fleet key `trustKey` (the base64 line of fleet.pub: the edge never holds it, so it cannot
 * hand hives a key of its own).
 * @example installLine('https://edge.example', 'rbe_x', 'MCow…') // "curl -fsSL https://edge.example/install.sh | sh -s -- --enrol rbe_x --trust-key MCow…"
 */
export const installLine = (origin: string, token: string, trustKey: string) =>
  `curl -fsSL ${origin}/install.sh | sh -s -- --enrol ${token} --trust-key ${trustKey || FLEET_KEY_PLACEHOLDER}`;

const KEY_STORE = 'rbee.fleet-key';
/** The base64 line of an Ed25519 public key (SPKI DER), as `rbee keys generate` writes it. */
const fleetKeyOk = (key: string) => /^[A-Za-z0-9+/]{40,}={0,2}$/.test(key);

const labelsOf = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf('=');
        return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
      }),
  );

/** The enrolment page (admin): create a token and copy its one-liner, list, revoke. */
export function enrolmentPage() {
  const form = $<HTMLFormElement>('#enrol-form');
  const result = $('#enrol-result');
  const tbody = $('#enrolment-tokens tbody');
  const keyInput = $<HTMLInputElement>('#enrol-form input[name=trust_key]');
  keyInput.value = localStorage.getItem(KEY_STORE) ?? '';
  const draw = async () => {
    const tokens: EnrolmentToken[] = await client.listEnrolmentTokens();
    tbody.replaceChildren(
      ...tokens.map((t) =>
        h(
          'tr',
          { dataset: { token: t.id, state: t.state } },
          h('td', {}, h('strong', {}, t.name ?? t.id), h('div', { class: 'muted' }, t.id)),
          h(
            'td',
            {},
            Object.entries(t.labels).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`)),
          ),
          h(
            'td',
            { class: 'uses' },
            t.uses_left === null ? `unlimited (${t.uses} used)` : `${t.uses_left} of ${t.max_uses}`,
          ),
          h('td', {}, t.expires_at === null ? 'never' : new Date(t.expires_at).toLocaleString()),
          h('td', {}, badge(t.state)),
          h(
            'td',
            {},
            t.state === 'active'
              ? h(
                  'button',
                  { type: 'button', class: 'danger', onclick: () => void revoke(t) },
                  'Revoke',
                )
              : null,
          ),
        ),
      ),
    );
    if (tokens.length === 0) {
      tbody.replaceChildren(
        h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No enrolment token yet.')),
      );
    }
  };
  const revoke = async (t: EnrolmentToken) => {
    if (!confirm(`Revoke ${t.name ?? t.id}? Machines can no longer enrol with it.`)) return;
    try {
      await client.revokeEnrolmentToken(t.id);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Revoke refused: ${why(e)}`));
    }
    await draw();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body: CreateEnrolmentTokenRequest = { expires_in: Number(fd.get('expires_in')) };
    const name = String(fd.get('name') || '').trim();
    if (name) body.name = name;
    const labels = labelsOf(String(fd.get('labels') || ''));
    if (Object.keys(labels).length) body.labels = labels;
    if (fd.get('max_uses')) body.max_uses = Number(fd.get('max_uses'));
    const trustKey = String(fd.get('trust_key') || '').trim();
    if (trustKey && !fleetKeyOk(trustKey)) {
      result.replaceChildren(
        h(
          'p',
          { class: 'error' },
          'Not made: the fleet key is the base64 line of fleet.pub (letters, digits, + / =)',
        ),
      );
      return;
    }
    if (trustKey) localStorage.setItem(KEY_STORE, trustKey);
    try {
      const made = await client.createEnrolmentToken(body);
      result.replaceChildren(
        h(
          'div',
          { class: 'notice' },
          h(
            'p',
            {},
            `Enrolment token ${made.id} made. It is shown this once: run this on each machine.`,
          ),
          secretBox('Install', installLine(location.origin, made.token, trustKey), 'install-line'),
          trustKey
            ? null
            : h(
                'p',
                { class: 'error', id: 'install-line-key' },
                `Replace ${FLEET_KEY_PLACEHOLDER} with the line of your fleet.pub (or use --allow-unsigned for an unsigned catalog): an agent that trusts no key refuses to install.`,
              ),
          secretBox('Token', made.token, 'enrol-token'),
        ),
      );
      form.reset();
      keyInput.value = localStorage.getItem(KEY_STORE) ?? '';
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Not made: ${why(e)}`));
    }
    await draw();
  });
  void draw().catch((e) => result.replaceChildren(h('p', { class: 'error' }, why(e))));
}
