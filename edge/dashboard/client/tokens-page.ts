import type { ApiToken, CreateTokenRequest } from '../../../shared/api/tokens.ts';
import { client, why } from './client.ts';
import { $, badge, h } from './dom.ts';
import { ago } from './format.ts';
import { secretBox } from './secret-box.ts';

const stateOf = (t: ApiToken) =>
  t.revoked_at !== null
    ? 'revoked'
    : t.expires_at !== null && t.expires_at <= Date.now()
      ? 'expired'
      : 'active';

/** The tokens page (admin): create a named token with a role, list, revoke. */
export function tokensPage() {
  const form = $<HTMLFormElement>('#token-form');
  const result = $('#token-result');
  const tbody = $('#tokens tbody');
  const draw = async () => {
    const tokens = await client.listTokens();
    tbody.replaceChildren(
      ...tokens.map((t) => {
        const state = stateOf(t);
        return h(
          'tr',
          { dataset: { token: t.name, state } },
          h('td', {}, h('strong', {}, t.name), h('div', { class: 'muted' }, `by ${t.created_by}`)),
          h('td', {}, badge(t.role)),
          h('td', { title: new Date(t.created_at).toLocaleString() }, ago(t.created_at)),
          h('td', {}, t.expires_at === null ? 'never' : new Date(t.expires_at).toLocaleString()),
          h('td', {}, badge(state)),
          h(
            'td',
            {},
            state === 'active'
              ? h(
                  'button',
                  { type: 'button', class: 'danger', onclick: () => void revoke(t.name) },
                  'Revoke',
                )
              : null,
          ),
        );
      }),
    );
    if (tokens.length === 0) {
      tbody.replaceChildren(
        h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No named token yet.')),
      );
    }
  };
  const revoke = async (name: string) => {
    if (!confirm(`Revoke the token "${name}"? Everything using it is refused from now on.`)) return;
    try {
      await client.revokeToken(name);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Revoke refused: ${why(e)}`));
    }
    await draw();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body: CreateTokenRequest = {
      name: String(fd.get('name') || '').trim(),
      role: String(fd.get('role')) as CreateTokenRequest['role'],
    };
    const expires = String(fd.get('expires_in') || '').trim();
    if (expires) body.expires_in = expires;
    try {
      const { token, info } = await client.createToken(body);
      result.replaceChildren(
        h(
          'div',
          { class: 'notice' },
          h('p', {}, `Token "${info.name}" (${info.role}) made. It is shown this once:`),
          secretBox('Token', token, 'new-token'),
        ),
      );
      form.reset();
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error' }, `Not made: ${why(e)}`));
    }
    await draw();
  });
  void draw().catch((e) => result.replaceChildren(h('p', { class: 'error' }, why(e))));
}
