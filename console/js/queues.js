// Queues with their depth, in-flight count and dead-letter queue (whose own depth is the
// number of dead letters).
import { api, query } from './api.js';
import { field, h, mount } from './dom.js';

export async function queues({ query: q }) {
  const list = await api('GET', `/v1/queues${query({ prefix: q.prefix })}`);
  const depth = new Map(list.items.map((x) => [x.name, x.depth]));
  const form = h('form', {
    class: 'inline', role: 'search',
    onsubmit: (e) => { e.preventDefault(); location.hash = `#/queues${query({ prefix: new FormData(form).get('prefix') })}`; },
  }, field('Name starts with', h('input', { name: 'prefix', value: q.prefix || '' })), h('button', { type: 'submit' }, 'Filter'));
  mount(
    h('h1', {}, 'Queues'),
    form,
    list.items.length === 0 ? h('p', { class: 'muted' }, 'No queues.') : h('table', { id: 'queues' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Queue'), h('th', {}, 'Ready'), h('th', {}, 'In flight'), h('th', {}, 'Dead-letter queue'), h('th', {}, 'Dead letters'), h('th', {}, 'Visibility timeout'))),
      h('tbody', {}, list.items.map((x) => h('tr', {},
        h('td', {}, x.name),
        h('td', {}, x.depth),
        h('td', {}, x.inFlight),
        h('td', {}, x.deadLetterQueue ? `${x.deadLetterQueue} (after ${x.maxReceiveCount ?? '?'} receives)` : '—'),
        h('td', {}, x.deadLetterQueue ? (depth.get(x.deadLetterQueue) ?? '?') : '—'),
        h('td', {}, `${x.visibilityTimeoutSeconds} s`))))),
  );
}
