// A schema: its versions, its compatibility setting, and a form to compare two versions.
import { api, seg } from './api.js';
import { field, h, mount } from './dom.js';

export async function schema({ registry, schema: name }) {
  const path = `/v1/registries/${seg(registry)}/schemas/${seg(name)}`;
  const [record, versions, config] = await Promise.all([
    api('GET', path), api('GET', `${path}/versions`), api('GET', `${path}/config`),
  ]);
  const base = `#/registries/${seg(registry)}/schemas/${seg(name)}`;
  const numbers = versions.items.map((v) => v.version);
  const select = (name2, label, chosen) => field(label, h('select', { name: name2 },
    numbers.map((n) => h('option', { value: n, selected: n === chosen }, `v${n}`))));
  const form = h('form', {
    class: 'inline',
    onsubmit: (e) => {
      e.preventDefault();
      const v = Object.fromEntries(new FormData(form));
      location.hash = `${base}/diff?from=${v.from}&to=${v.to}`;
    },
  }, select('from', 'Older version', numbers[numbers.length - 2]), select('to', 'Newer version', numbers[numbers.length - 1]),
  h('button', { type: 'submit', id: 'compare' }, 'Compare'));
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/registries' }, 'Registries'), ' / ',
      h('a', { href: `#/registries/${seg(registry)}` }, registry), ' / ', name),
    h('h1', {}, name),
    record.description ? h('p', {}, record.description) : null,
    h('p', {}, 'Compatibility: ', h('strong', { id: 'compatibility' }, config.compatibility),
      ` (policy ${config.policy}; set on the ${config.source})`),
    h('h2', {}, 'Versions'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Registered'), h('th', {}, 'Description'), h('th', {}, 'Fingerprint'))),
      h('tbody', {}, versions.items.map((v) => h('tr', {},
        h('td', {}, h('a', { href: `${base}/versions/${v.version}` }, `v${v.version}`), v.deleted ? ' (deleted)' : ''),
        h('td', {}, v.createdAt),
        h('td', {}, v.description || ''),
        h('td', {}, h('code', {}, v.fingerprint.slice(0, 19))))))),
    numbers.length >= 2 ? [h('h2', {}, 'Compare two versions'), form] : null,
    h('p', {}, h('a', { href: `#/playground?registry=${seg(registry)}&schema=${seg(name)}&version=${record.latestVersion || ''}` }, 'Open in the playground')),
  );
}
