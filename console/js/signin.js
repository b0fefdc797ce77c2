// Sign-in: the key is checked against the API before it is kept (401 = unknown key; a 403
// still means a valid key, only without registry grants).
import { api, clearKey, setKey } from './api.js';
import { errorBox, field, h, live, mount } from './dom.js';

export function signin() {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, placeholder: 'sb_…' });
  const out = live();
  const form = h('form', {
    class: 'signin',
    onsubmit: async (e) => {
      e.preventDefault();
      setKey(input.value.trim());
      try {
        await api('GET', '/v1/registries?limit=1');
      } catch (err) {
        if (err.status !== 403) {
          clearKey();
          out.replaceChildren(errorBox(err));
          input.focus();
          return;
        }
      }
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
  },
  h('h1', {}, 'Sign in'),
  h('p', { class: 'muted' }, 'Use an API key created by an admin (docs/SECURITY.md). It is kept in this tab only.'),
  field('API key', input),
  h('p', {}, h('button', { type: 'submit', id: 'signin' }, 'Sign in')),
  out);
  mount(form);
  input.focus();
}
