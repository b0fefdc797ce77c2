// Buses with their validation settings, and one bus: bindings, rules (patterns, targets)
// and the first page of its quarantine.
import { api, query, seg } from './api.js';
import { errorBox, h, mount, pager } from './dom.js';
import { codeView } from './json.js';

const validation = (v = {}) => `${v.mode || 'off'}${v.registry ? ` against registry ${v.registry}` : ''}; events without a contract: ${v.unknownEventTypes || 'allow'}`;

export async function buses() {
  const list = await api('GET', '/v1/buses');
  mount(
    h('h1', {}, 'Buses'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Bus'), h('th', {}, 'Validation'), h('th', {}, 'Explicit contracts'), h('th', {}, 'Description'))),
      h('tbody', {}, list.items.map((b) => h('tr', {},
        h('td', {}, h('a', { href: `#/buses/${seg(b.name)}` }, b.name)),
        h('td', {}, validation(b.validation)),
        h('td', {}, (b.bindings || []).length),
        h('td', {}, b.description || ''))))),
  );
}

function target(t) {
  const where = t.queue ? `queue ${t.queue}` : t.url ? `webhook ${t.url}` : t.bus ? `bus ${t.bus}` : t.type || 'target';
  return h('li', {}, h('code', {}, t.id), ` → ${where}`, t.deadLetterQueue ? ` (dead letters to ${t.deadLetterQueue})` : '');
}

export async function bus({ bus: name, query: q }) {
  const path = `/v1/buses/${seg(name)}`;
  const [record, rules, quarantine] = await Promise.all([
    api('GET', path),
    api('GET', `${path}/rules`).catch((e) => e),
    api('GET', `${path}/quarantine${query({ after: q.after, limit: 20 })}`).catch((e) => e),
  ]);
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/buses' }, 'Buses'), ' / ', name),
    h('h1', {}, `Bus ${name}`),
    h('p', {}, 'Validation: ', h('strong', { id: 'bus-validation' }, validation(record.validation))),
    (record.bindings || []).length ? [h('h2', {}, 'Explicit contracts'), h('ul', {}, record.bindings.map((b) => h('li', {},
      `${b.source} / ${b.detailType} → `, h('a', { href: `#/registries/${seg(b.registry || record.validation?.registry || '')}/schemas/${seg(b.schema)}` }, `${b.schema} v${b.version}`))))] : null,
    h('h2', {}, 'Rules'),
    rules instanceof Error ? errorBox(rules) : rules.items.length === 0 ? h('p', { class: 'muted' }, 'No rules.') : h('table', { id: 'rules' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'Pattern or schedule'), h('th', {}, 'Targets'))),
      h('tbody', {}, rules.items.map((r) => h('tr', {},
        h('td', {}, r.name, h('div', { class: 'muted' }, r.state), r.description ? h('div', {}, r.description) : null),
        h('td', {}, r.pattern ? codeView(r.pattern, new Map(), `Pattern of ${r.name}`) : h('code', {}, r.schedule || '')),
        h('td', {}, h('ul', {}, r.targets.map(target))))))),
    h('h2', {}, 'Quarantine'),
    quarantine instanceof Error ? errorBox(quarantine) : quarantine.items.length === 0 ? h('p', { class: 'muted' }, 'Nothing quarantined.') : [
      h('table', { id: 'quarantine' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Received'), h('th', {}, 'Outcome'), h('th', {}, 'Why'), h('th', {}, 'Event'))),
        h('tbody', {}, quarantine.items.map((e) => h('tr', {},
          h('td', {}, e.receivedAt),
          h('td', {}, e.outcome),
          h('td', {}, h('code', {}, e.errorCode), ': ', e.errorMessage, e.contract ? h('div', { class: 'muted' }, `contract ${e.contract}`) : null,
            (e.errors || []).length ? h('ul', {}, e.errors.map((x) => h('li', {}, `${x.instancePath || x.path || ''} ${x.message}`))) : null),
          h('td', {}, h('details', {}, h('summary', {}, `${e.event.source || ''} ${e.event['detail-type'] || ''}`), codeView(e.event, new Map(), 'Quarantined event'))))))),
      pager(q.after, quarantine.nextCursor, (after) => `#/buses/${seg(name)}${query({ after })}`)],
  );
}
