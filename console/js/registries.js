// Registries, the schemas of one, and search: all paged or searched on the server (a
// registry may hold 10,000 schemas; the console never loads them all).
import { api, query, seg } from './api.js';
import { errorBox, field, h, mount, pager } from './dom.js';

const LIMIT = 50;

/** A GET form that navigates to `hash(values)` (keeps the state in the URL). */
function filterForm(fields, hash, button) {
  const form = h('form', {
    class: 'inline',
    role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      location.hash = hash(Object.fromEntries(new FormData(form)));
    },
  }, fields, h('button', { type: 'submit' }, button));
  return form;
}

export async function registries({ query: q }) {
  const page = await api('GET', `/v1/registries${query({ prefix: q.prefix, cursor: q.cursor, limit: LIMIT })}`);
  const href = (cursor) => `#/registries${query({ prefix: q.prefix, cursor })}`;
  mount(
    h('h1', {}, 'Registries'),
    filterForm(field('Name starts with', h('input', { name: 'prefix', value: q.prefix || '' })),
      (v) => `#/registries${query({ prefix: v.prefix })}`, 'Filter'),
    page.items.length === 0 ? h('p', { class: 'muted' }, 'No registries.') : h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Description'), h('th', {}, 'Updated'))),
      h('tbody', {}, page.items.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `#/registries/${seg(r.name)}` }, r.name), r.builtin ? h('span', { class: 'badge' }, ' built-in') : null),
        h('td', {}, r.description || ''),
        h('td', {}, r.updatedAt))))),
    pager(q.cursor, page.nextCursor, href),
  );
}

export async function schemas({ registry, query: q }) {
  const [page, config] = await Promise.all([
    api('GET', `/v1/registries/${seg(registry)}/schemas${query({ prefix: q.prefix, cursor: q.cursor, limit: LIMIT })}`),
    api('GET', `/v1/registries/${seg(registry)}/config`).catch((e) => e),
  ]);
  const base = `#/registries/${seg(registry)}`;
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/registries' }, 'Registries'), ' / ', registry),
    h('h1', {}, `Registry ${registry}`),
    config instanceof Error ? errorBox(config)
      : h('p', {}, 'Compatibility: ', h('strong', { id: 'registry-compatibility' }, config.compatibility), ` (policy ${config.policy}, ${config.source})`),
    h('div', { class: 'grid2' },
      filterForm(field('Schema name starts with', h('input', { name: 'prefix', value: q.prefix || '' })),
        (v) => `${base}${query({ prefix: v.prefix })}`, 'Filter'),
      filterForm(field('Search names and content', h('input', { name: 'q', required: true })),
        (v) => `#/search${query({ q: v.q, registry })}`, 'Search')),
    page.items.length === 0 ? h('p', { class: 'muted' }, 'No schemas.') : h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Schema'), h('th', {}, 'Versions'), h('th', {}, 'Latest'), h('th', {}, 'Description'))),
      h('tbody', {}, page.items.map((s) => h('tr', {},
        h('td', {}, h('a', { href: `${base}/schemas/${seg(s.name)}` }, s.name)),
        h('td', {}, s.versionCount),
        h('td', {}, s.latestVersion ? h('a', { href: `${base}/schemas/${seg(s.name)}/versions/${s.latestVersion}` }, `v${s.latestVersion}`) : '—'),
        h('td', {}, s.description || ''))))),
    pager(q.cursor, page.nextCursor, (cursor) => `${base}${query({ prefix: q.prefix, cursor })}`),
  );
}

export async function search({ query: q }) {
  const form = filterForm([
    field('Words (all must appear in the name, description or content)', h('input', { name: 'q', value: q.q || '', required: true, id: 'search-q' })),
    field('Registry (optional)', h('input', { name: 'registry', value: q.registry || '' })),
  ], (v) => `#/search${query({ q: v.q, registry: v.registry })}`, 'Search');
  if (!q.q) {
    mount(h('h1', {}, 'Search schemas'), form);
    return;
  }
  const found = await api('GET', `/v1/search${query({ q: q.q, registry: q.registry, limit: 100 })}`);
  mount(
    h('h1', {}, `Search: ${q.q}`),
    form,
    found.items.length === 0 ? h('p', { class: 'muted' }, 'Nothing found.') : h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Schema'), h('th', {}, 'Found in'), h('th', {}, 'Versions'))),
      h('tbody', {}, found.items.map((hit) => {
        const base = `#/registries/${seg(hit.registry)}/schemas/${seg(hit.schema)}`;
        return h('tr', {},
          h('td', {}, h('a', { href: base }, `${hit.registry} / ${hit.schema}`), hit.description ? h('div', { class: 'muted' }, hit.description) : null),
          h('td', {}, hit.matchedIn.join(', ')),
          h('td', {}, hit.versions.map((v) => [h('a', { href: `${base}/versions/${v}` }, `v${v}`), ' '])));
      }))),
    found.items.length >= 100 ? h('p', { class: 'muted' }, 'The first 100 matches; add words to narrow the search.') : null,
  );
}
