// Discovery: the schemas discovered on live traffic (registry discovered-schemas), their
// versions, each bus's discovery settings and counters, the drift reported so far, and the
// drift events live (on the default bus's tail).
import { api, query, seg } from './api.js';
import { errorBox, h, mount, pager } from './dom.js';

const REGISTRY = 'discovered-schemas';
const LIMIT = 50;
/** The pattern of drift events on the default bus (docs/INFERENCE.md#drift). */
export const DRIFT_PATTERN = JSON.stringify({ source: ['schemabus.registry'], 'detail-type': ['Schema Drift Detected'] });

async function busStatus(buses) {
  return Promise.all(buses.map((b) => api('GET', `/v1/buses/${seg(b.name)}/discovery`).then((s) => [b.name, s], (e) => [b.name, e])));
}

/** What each bus's status lists as reported drift (stored, so it outlives restarts). */
function driftTable(statuses) {
  if (statuses instanceof Error) return null;
  const rows = statuses.filter(([, s]) => !(s instanceof Error)).flatMap(([bus, s]) => (s.drift || []).map((d) => [bus, d, s.driftTruncated]));
  if (rows.length === 0) return h('p', { class: 'muted', id: 'no-drift' }, 'No drift reported.');
  return h('table', { id: 'drift' },
    h('caption', {}, 'Where the traffic of a bus left its contract, as reported in drift events'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Bus'), h('th', {}, 'Event type'), h('th', {}, 'Contract'), h('th', {}, 'Change'), h('th', {}, 'Where'))),
    h('tbody', {}, rows.map(([bus, d]) => {
      const [registry, ...rest] = d.contract.split('/');
      const version = rest.pop();
      const schema = rest.join('/');
      return h('tr', {},
        h('td', {}, h('a', { href: `#/buses/${seg(bus)}` }, bus)),
        h('td', {}, d.eventType),
        h('td', {}, h('a', { href: `#/registries/${seg(registry)}/schemas/${seg(schema)}/versions/${seg(version)}` }, `${schema} v${version}`)),
        h('td', {}, d.type),
        h('td', {}, h('code', {}, d.path)));
    })));
}

export async function discovery({ query: q }) {
  const base = `#/registries/${seg(REGISTRY)}`;
  const [page, buses] = await Promise.all([
    api('GET', `/v1/registries/${seg(REGISTRY)}/schemas${query({ cursor: q.cursor, limit: LIMIT })}`),
    api('GET', '/v1/buses').catch((e) => e),
  ]);
  const statuses = buses instanceof Error ? buses : await busStatus(buses.items);
  mount(
    h('h1', {}, 'Discovery'),
    h('p', { class: 'muted' }, 'Schemas inferred from the traffic of buses with discovery on, one per event type, in the read-only registry ', h('a', { href: base }, REGISTRY), '.'),
    h('h2', {}, 'Discovered schemas'),
    page.items.length === 0 ? h('p', { class: 'muted', id: 'no-discovered' }, 'Nothing discovered yet. Turn discovery on for a bus (PUT /v1/buses/{bus}/discovery) and put events.')
      : h('table', { id: 'discovered' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Event type'), h('th', {}, 'Versions'), h('th', {}, 'Latest'), h('th', {}, 'Changes'))),
        h('tbody', {}, page.items.map((s) => {
          const schema = `${base}/schemas/${seg(s.name)}`;
          return h('tr', {},
            h('td', {}, h('a', { href: schema }, s.name)),
            h('td', {}, s.versionCount),
            h('td', {}, s.latestVersion ? h('a', { href: `${schema}/versions/${s.latestVersion}` }, `v${s.latestVersion}`) : '—'),
            h('td', {}, s.latestVersion > 1 ? h('a', { href: `${schema}/diff${query({ from: s.latestVersion - 1, to: s.latestVersion })}` }, `v${s.latestVersion - 1} → v${s.latestVersion}`) : '—'));
        }))),
    pager(q.cursor, page.nextCursor, (cursor) => `#/discovery${query({ cursor })}`),
    h('h2', {}, 'Buses'),
    statuses instanceof Error ? errorBox(statuses) : h('table', { id: 'discovery-buses' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Bus'), h('th', {}, 'Discovery'), h('th', {}, 'Sampled'), h('th', {}, 'Versions created'), h('th', {}, 'Drift events'), h('th', {}, 'Last error'))),
      h('tbody', {}, statuses.map(([name, s]) => h('tr', {},
        h('td', {}, h('a', { href: `#/buses/${seg(name)}` }, name)),
        s instanceof Error ? h('td', { colspan: 5 }, errorBox(s)) : [
          h('td', {}, s.enabled ? `on, sample rate ${s.sampleRate}` : 'off'),
          h('td', {}, (s.counters || {}).sampled ?? 0, (s.counters || {}).dropped ? h('div', { class: 'muted' }, `${s.counters.dropped} dropped`) : null),
          h('td', {}, (s.counters || {}).versionsCreated ?? 0),
          h('td', {}, (s.counters || {}).driftEvents ?? 0),
          h('td', {}, (s.counters || {}).lastError || '—')])))),
    h('p', { class: 'muted' }, 'Counters count since the service started.'),
    h('h2', {}, 'Drift'),
    driftTable(statuses),
    h('p', {}, 'A drift event is published on the ', h('code', {}, 'default'), ' bus when the traffic of a validating bus no longer fits its contract. ',
      h('a', { id: 'drift-live', href: `#/buses/default/tail${query({ pattern: DRIFT_PATTERN })}` }, 'Watch drift events live'),
      ' (the live tail of default, filtered); an archive on default with the same pattern keeps them.'),
  );
}
