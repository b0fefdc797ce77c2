// Where one event went: the rules it matched, each delivery's outcome and webhook attempts.
import { api, seg } from './api.js';
import { h, mount } from './dom.js';

export async function trace({ bus, event }) {
  const t = await api('GET', `/v1/buses/${seg(bus)}/events/${seg(event)}/trace`);
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/buses' }, 'Buses'), ' / ', h('a', { href: `#/buses/${seg(bus)}` }, bus), ' / trace'),
    h('h1', {}, `Event ${t.eventId}`),
    t.complete ? null : h('p', { class: 'muted' }, 'The routing part of this trace was lost in a restart; only persisted webhook deliveries are shown.'),
    h('p', { id: 'rules-matched' }, t.rulesMatched.length ? `Rules matched: ${t.rulesMatched.join(', ')}.` : 'No rule matched this event.'),
    h('h2', {}, 'Deliveries'),
    t.deliveries.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('table', { id: 'deliveries' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'Target'), h('th', {}, 'Outcome'), h('th', {}, 'Attempts'))),
      h('tbody', {}, t.deliveries.map((d) => h('tr', {},
        h('td', {}, d.rule, d.replayName ? h('div', { class: 'muted' }, `replay ${d.replayName}`) : null),
        h('td', {}, `${d.target} (${d.targetType})`),
        h('td', {}, d.outcome, d.reason ? h('div', { class: 'muted' }, d.reason) : null),
        h('td', {}, (d.attempts || []).length === 0 ? '—' : h('ol', {}, d.attempts.map((a) => h('li', {},
          `${a.at}: ${a.outcome}`, a.status ? ` (HTTP ${a.status})` : '', a.errorCode ? ` ${a.errorCode}: ${a.errorMessage || ''}` : '',
          ` in ${a.durationMs} ms`, a.nextAttemptAt ? `; next at ${a.nextAttemptAt}` : '')))))))),
  );
}
