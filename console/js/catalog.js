// The event catalog as a map: each event type with its producers on the left and its
// consumers (rules and their targets) on the right, searched and paged on the server
// (GET /v1/catalog), and each bus's AsyncAPI document for download.
import { api, query, seg } from './api.js';
import { errorBox, field, h, live, mount, pager } from './dom.js';

const PAGE = 25;

function traffic(t) {
  return `${t.acceptedLastHour} accepted, ${t.refusedLastHour} refused in the last hour; ` +
    `${t.acceptedLastDay} accepted, ${t.refusedLastDay} refused in the last day`;
}

function producers(e) {
  const p = e.producers;
  return h('div', { class: 'cat-producers' },
    h('p', {}, 'source ', h('code', {}, p.source)),
    h('p', { class: 'muted' }, p.detailTypes.map((d) => `“${d}”`).join(', ')),
    p.keys ? h('ul', { 'aria-label': `Keys publishing ${e.eventType}` }, p.keys.map((k) =>
      h('li', {}, h('code', {}, k.key), ` ${k.accepted} accepted, ${k.refused} refused`))) : null);
}

function eventType(e) {
  const s = e.schema;
  return h('div', { class: 'cat-type' },
    h('h2', { id: `type-${e.id}` }, e.eventType, ' ', h('span', { class: 'muted' }, `on ${e.bus}`)),
    s ? h('p', {}, 'contract ', h('a', { href: `#/registries/${seg(s.registry)}/schemas/${seg(s.name)}` }, `${s.registry}/${s.name}`),
      s.latestVersion ? ` v${s.latestVersion}` : '', ` (${s.foundBy})`)
      : h('p', { class: 'muted' }, e.schemaHidden ? 'contract in a registry this key may not read' : 'no contract'),
    h('p', { class: 'muted' }, traffic(e.traffic)),
    h('p', { class: 'muted' }, `discovery ${e.discovery.enabled ? 'on' : 'off'}`,
      e.discovery.discoveredVersion ? `, discovered v${e.discovery.discoveredVersion}` : ''),
    e.sample ? h('details', {}, h('summary', {}, `Recent event (${e.sample.takenAt})`),
      h('pre', { class: 'code', tabindex: '0', 'aria-label': `Recent event of ${e.eventType}` }, JSON.stringify(e.sample.event, null, 2))) : null);
}

function consumers(e) {
  if (!e.consumers) return h('p', { class: 'muted' }, 'rules hidden (needs bus:manage)');
  if (e.consumers.length === 0) return h('p', { class: 'muted' }, 'no rule matches this type');
  return h('ul', { class: 'cat-consumers', 'aria-label': `Rules consuming ${e.eventType}` }, e.consumers.map((c) =>
    h('li', {}, h('a', { href: `#/buses/${seg(e.bus)}` }, c.rule), c.state === 'DISABLED' ? ' (disabled)' : '', ' → ',
      c.targets.map((t, i) => [i ? ', ' : '', `${t.type} `, h('code', {}, t.destination)]))));
}

function downloadButton(bus, format, status) {
  return h('button', {
    type: 'button', class: 'secondary', id: `asyncapi-${bus}-${format}`,
    onclick: async () => {
      try {
        const blob = await api('GET', `/v1/buses/${seg(bus)}/asyncapi${query({ format })}`, undefined, 'blob');
        const file = `${bus.replace(/[^A-Za-z0-9._-]/g, '_')}.asyncapi.${format}`;
        const a = h('a', { href: URL.createObjectURL(blob), download: file });
        document.body.append(a);
        a.click();
        a.remove();
        status.replaceChildren(h('p', { class: 'ok' }, `Downloaded ${file} (${blob.size} bytes).`));
      } catch (err) {
        status.replaceChildren(errorBox(err));
      }
    },
  }, `AsyncAPI of ${bus} (${format.toUpperCase()})`);
}

export async function catalog({ query: q }) {
  const params = { bus: q.bus, q: q.q, prefix: q.prefix, cursor: q.cursor, limit: PAGE };
  const page = await api('GET', `/v1/catalog${query(params)}`);
  const href = (cursor) => `#/catalog${query({ bus: q.bus, q: q.q, prefix: q.prefix, cursor })}`;
  const form = h('form', {
    class: 'inline', role: 'search',
    onsubmit: (ev) => {
      ev.preventDefault();
      const d = new FormData(form);
      location.hash = `#/catalog${query({ bus: d.get('bus'), q: d.get('q') })}`;
    },
  },
  field('Bus', h('input', { name: 'bus', value: q.bus || '' })),
  field('Words', h('input', { name: 'q', type: 'search', value: q.q || '' })),
  h('button', { type: 'submit' }, 'Search'));
  const status = live({ id: 'asyncapi-status' });
  const buses = [...new Set(page.items.map((e) => e.bus))];
  mount(
    h('h1', {}, 'Event catalog'),
    h('p', { class: 'muted' }, 'Producers → event types → consumers. Counts are kept in memory since the service started.'),
    form,
    buses.length ? h('div', { class: 'inline' }, buses.flatMap((b) => [downloadButton(b, 'json', status), downloadButton(b, 'yaml', status)])) : null,
    status,
    page.items.length === 0 ? h('p', { class: 'muted' }, 'No event types.') : h('table', { id: 'catalog', class: 'catalog' },
      h('caption', {}, 'Each row: who produces the type, the type, and the rules that consume it'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Producers'), h('th', { scope: 'col' }, 'Event type'), h('th', { scope: 'col' }, 'Consumers'))),
      h('tbody', {}, page.items.map((e) => h('tr', { 'data-id': e.id },
        h('td', {}, producers(e)), h('td', {}, eventType(e)), h('td', {}, consumers(e)))))),
    page.untrackedEntries ? h('p', { class: 'muted' }, `${page.untrackedEntries} entries of types over --catalog-max-types were not counted.`) : null,
    pager(q.cursor, page.nextCursor, href),
  );
}
