// Two versions side by side, with the compatibility verdicts and every change in plain words
// (the native diff endpoint; the line diff is only for reading).
import { api, query, seg } from './api.js';
import { h, mount } from './dom.js';
import { sideBySide } from './diff.js';

const verdict = (ok, yes, no) => h('li', {}, h('span', { class: `badge ${ok ? 'good' : 'bad'}` }, ok ? 'yes' : 'no'), ' ', ok ? yes : no);

export async function compare({ registry, schema, query: q }) {
  const path = `/v1/registries/${seg(registry)}/schemas/${seg(schema)}`;
  const [diff, older, newer] = await Promise.all([
    api('GET', `${path}/diff${query({ from: q.from, to: q.to, policy: q.policy })}`),
    api('GET', `${path}/versions/${seg(q.from)}`),
    api('GET', `${path}/versions/${seg(q.to)}`),
  ]);
  const base = `#/registries/${seg(registry)}/schemas/${seg(schema)}`;
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/registries' }, 'Registries'), ' / ',
      h('a', { href: `#/registries/${seg(registry)}` }, registry), ' / ', h('a', { href: base }, schema), ' / diff'),
    h('h1', {}, `${schema}: v${diff.from} → v${diff.to}`),
    h('p', { id: 'diff-summary' }, diff.summary),
    h('ul', { class: 'verdicts' },
      verdict(diff.backwardCompatible, `Consumers on v${diff.to} can still read events written against v${diff.from} (backward compatible).`,
        `Consumers on v${diff.to} may fail on events written against v${diff.from} (not backward compatible).`),
      verdict(diff.forwardCompatible, `Consumers still on v${diff.from} can read events written against v${diff.to} (forward compatible).`,
        `Consumers still on v${diff.from} may fail on events written against v${diff.to} (not forward compatible).`)),
    h('p', { class: 'muted' }, `Verdicts under the ${diff.policy} policy.`),
    h('h2', {}, 'Changes'),
    diff.changes.length === 0 ? h('p', {}, 'No changes.') : h('table', { id: 'findings' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Change'), h('th', {}, 'Where'), h('th', {}, 'Backward'), h('th', {}, 'Forward'))),
      h('tbody', {}, diff.changes.map((c) => h('tr', {},
        h('td', {}, c.message, h('div', { class: 'muted' }, h('code', {}, c.type))),
        h('td', {}, h('code', {}, c.path)),
        h('td', {}, c.backwardCompatible ? 'compatible' : 'breaks'),
        h('td', {}, c.forwardCompatible ? 'compatible' : 'breaks'))))),
    h('h2', {}, 'Side by side'),
    sideBySide(older.content, newer.content, [`v${diff.from}`, `v${diff.to}`]),
  );
}
