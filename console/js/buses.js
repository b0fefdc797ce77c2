// Buses with their validation settings, and one bus: bindings, rules (patterns, targets)
// and the first page of its quarantine.
import { api, query, seg } from './api.js';
import { errorBox, h, live, mount, pager } from './dom.js';
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
    h('p', {}, h('a', { id: 'open-tail', href: `#/buses/${seg(name)}/tail` }, 'Live tail'), ': follow the events put on this bus as they are accepted or refused.'),
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
    quarantine instanceof Error ? errorBox(quarantine) : quarantineTable(name, quarantine, q),
  );
}

/** Re-submits the checked entries, shows each outcome, and reloads the list. */
async function resubmit(name, form, out) {
  const ids = [...form.querySelectorAll('input[name=id]:checked')].map((c) => c.value);
  if (ids.length === 0) {
    out.replaceChildren(errorBox({ code: 'nothing_selected', message: 'Select the entries to re-submit first.' }));
    return;
  }
  try {
    const answer = await api('POST', `/v1/buses/${seg(name)}/quarantine/resubmit`, { ids });
    const list = h('ul', {}, answer.entries.map((e) => h('li', {}, h('code', {}, e.id), ': ',
      e.eventId ? ['accepted as event ', h('a', { href: `#/buses/${seg(name)}/events/${seg(e.eventId)}/trace` }, e.eventId)] : [h('code', {}, e.errorCode), ` ${e.errorMessage}`],
      e.removed ? ' (left the quarantine)' : ' (still quarantined)')));
    const accepted = answer.entries.length - answer.failedEntryCount;
    // Shown once by the re-rendered page, above the reloaded list.
    outcome = { bus: name, failed: answer.failedEntryCount > 0, text: `${accepted} of ${answer.entries.length} re-submitted entries accepted.`, list };
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

/** The outcome of the last re-submission, until the page shows it. */
let outcome = null;

function quarantineTable(name, quarantine, q) {
  const out = live();
  if (outcome && outcome.bus === name) {
    out.append(h('div', { id: 'resubmit-result', class: outcome.failed ? 'error' : 'ok', role: 'status' }, outcome.text, outcome.list));
    outcome = null;
  }
  if (quarantine.items.length === 0) return h('div', { id: 'quarantine-section' }, out, h('p', { class: 'muted' }, 'Nothing quarantined.'));
  const form = h('form', {
    id: 'resubmit',
    onsubmit: (e) => { e.preventDefault(); resubmit(name, form, out); },
  },
  h('table', { id: 'quarantine' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Select'), h('th', {}, 'Received'), h('th', {}, 'Outcome'), h('th', {}, 'Why'), h('th', {}, 'Event'))),
    h('tbody', {}, quarantine.items.map((e) => h('tr', {},
      // Only refused entries can go again: warned ones were delivered already.
      h('td', {}, e.outcome === 'refused'
        ? h('input', { type: 'checkbox', name: 'id', value: e.id, 'aria-label': `Select entry ${e.id}` }) : ''),
      h('td', {}, e.receivedAt, h('div', { class: 'muted' }, h('code', {}, e.id))),
      h('td', {}, e.outcome),
      h('td', {}, h('code', {}, e.errorCode), ': ', e.errorMessage, e.contract ? h('div', { class: 'muted' }, `contract ${e.contract}`) : null,
        (e.errors || []).length ? h('ul', {}, e.errors.map((x) => h('li', {}, `${x.instancePath || '/'}: ${x.message}`))) : null),
      h('td', {}, h('details', {}, h('summary', {}, `${e.event.source || ''} ${e.event['detail-type'] || ''}`), codeView(e.event, new Map(), 'Quarantined event'))))))),
  h('p', {}, h('button', { type: 'submit' }, 'Re-submit selected')),
  h('p', { class: 'muted' }, 'Re-submitting sends the events through PutEvents again, as you: fix the contract or the producer first.'));
  return h('div', { id: 'quarantine-section' }, out, form, pager(q.after, quarantine.nextCursor, (after) => `#/buses/${seg(name)}${query({ after })}`));
}
