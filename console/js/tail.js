// The live tail of a bus: GET /v1/buses/{bus}/tail (server-sent events) read with fetch()
// and a ReadableStream, so the key stays in the Authorization header (EventSource cannot
// send one, and a key in the URL would land in logs and history).
import { ApiError, getKey, query, seg } from './api.js';
import { errorBox, field, h, live, mount } from './dom.js';

/** Rows kept on the page; older ones are dropped as new ones arrive. */
const MAX_ROWS = 200;

/** The open stream, aborted when the page changes (main.js calls stopTail). */
let open = null;

export function stopTail() {
  if (open) open.abort();
  open = null;
}

/** Reads an SSE response, calling onEvent(name, id, data) for each event with data. */
async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // a comment: ": open", ": heartbeat"
        const colon = line.indexOf(':');
        const key = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (key === 'event') name = val;
        else if (key === 'id') id = val;
        else if (key === 'data') data.push(val);
      }
      if (data.length) onEvent(name, id, JSON.parse(data.join('\n')));
    }
  }
}

function row(bus, e) {
  const what = `${e.source || '—'} / ${e.detailType || '—'}`;
  const why = e.errorCode
    ? [h('code', {}, e.errorCode), e.pointer !== undefined ? [' at ', h('code', { class: 'pointer' }, e.pointer || '/')] : null, ': ', e.errorMessage || '']
    : (e.rulesMatched && e.rulesMatched.length ? `rules: ${e.rulesMatched.join(', ')}` : 'no rule matched');
  const id = e.eventId
    ? (e.trace ? h('a', { href: `#/buses/${seg(bus)}/events/${seg(e.eventId)}/trace` }, e.eventId) : h('code', {}, e.eventId))
    : h('span', { class: 'muted' }, 'not an event');
  return h('tr', { class: `tail-${e.outcome}`, 'data-outcome': e.outcome },
    h('td', {}, e.receivedAt),
    h('td', {}, h('strong', {}, e.outcome)),
    h('td', {}, what),
    h('td', {}, id),
    h('td', {}, why));
}

export async function tail({ bus, query: q }) {
  stopTail();
  const controller = new AbortController();
  open = controller;
  const pattern = q.pattern || '';
  const status = live({ id: 'tail-status', role: 'status' });
  const rows = h('tbody', {});
  let paused = false;
  const held = [];
  const heldNote = h('span', { class: 'muted', id: 'tail-held' });
  const pauseButton = h('button', { type: 'button', id: 'tail-pause', 'aria-pressed': 'false', onclick: () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      for (const e of held.splice(0)) add(e);
      heldNote.textContent = '';
    }
  } }, 'Pause');
  const add = (e) => {
    rows.prepend(row(bus, e));
    while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
  };
  const box = h('textarea', { id: 'tail-pattern', rows: 3, cols: 60, spellcheck: 'false', placeholder: '{"source": ["orders"]}' });
  box.value = pattern;
  const problem = live();
  const form = h('form', { id: 'tail-form', onsubmit: (ev) => {
    ev.preventDefault();
    const text = box.value.trim();
    if (text) {
      try { JSON.parse(text); } catch (err) {
        problem.replaceChildren(errorBox({ code: 'invalid_json', message: `The pattern is not valid JSON: ${err.message}` }));
        return;
      }
    }
    // A new URL restarts the stream (and can be shared).
    location.hash = `#/buses/${seg(bus)}/tail${query({ pattern: text })}`;
  } },
  field('Event pattern (JSON; empty: every entry) ', box),
  h('p', {}, h('button', { type: 'submit' }, 'Apply pattern'), ' ', pauseButton, ' ',
    h('button', { type: 'button', id: 'tail-clear', onclick: () => { rows.replaceChildren(); held.length = 0; heldNote.textContent = ''; } }, 'Clear'), ' ', heldNote),
  problem);
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/buses' }, 'Buses'), ' / ', h('a', { href: `#/buses/${seg(bus)}` }, bus), ' / live tail'),
    h('h1', {}, `Live tail of bus ${bus}`),
    h('p', { class: 'muted' }, `Entries put on the bus from now on, accepted, refused or warned, newest first (the last ${MAX_ROWS} are kept). Accepted events link to their trace.`),
    form,
    status,
    h('table', { id: 'tail' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Received'), h('th', {}, 'Outcome'), h('th', {}, 'Source / detail type'), h('th', {}, 'Event'), h('th', {}, 'Why'))),
      rows),
  );
  status.textContent = 'Connecting…';
  let res;
  try {
    res = await fetch(`/v1/buses/${seg(bus)}/tail${query({ pattern })}`, {
      headers: { Authorization: `Bearer ${getKey()}`, Accept: 'text/event-stream' },
      signal: controller.signal,
    });
  } catch (e) {
    if (controller.signal.aborted) return;
    status.replaceChildren(errorBox({ code: 'network', message: `The service did not answer (${e.message}).` }));
    return;
  }
  if (!res.ok) {
    let err = new ApiError(res.status, `http_${res.status}`, res.statusText || 'The request failed.');
    try {
      const b = await res.json();
      if (b && b.code) err = new ApiError(res.status, b.code, b.message, b.details);
    } catch { /* not JSON */ }
    status.replaceChildren(errorBox(err));
    return;
  }
  status.textContent = pattern ? 'Following the bus (entries matching the pattern).' : 'Following the bus.';
  status.dataset.state = 'open';
  try {
    await readEvents(res, (name, _id, data) => {
      if (name === 'lagged') {
        problem.replaceChildren(h('p', { class: 'muted' }, `${data.dropped} entries were skipped: the page fell behind.`));
        return;
      }
      if (paused) {
        held.push(data);
        if (held.length > MAX_ROWS) held.shift();
        heldNote.textContent = `${held.length} held while paused.`;
      } else {
        add(data);
      }
    });
    if (!controller.signal.aborted) {
      status.textContent = 'The stream ended (the service is stopping). Reload the page to follow again.';
      status.dataset.state = 'ended';
    }
  } catch (e) {
    if (controller.signal.aborted) return;
    status.replaceChildren(errorBox({ code: 'network', message: `The stream was cut (${e.message}). Reload the page to follow again.` }));
  }
}
