// The router: every page has a hash URL that can be shared (the key is not in it; whoever
// opens it signs in with their own key and sees what that key may read).
import { clearKey, getKey } from './api.js';
import { errorBox, mount } from './dom.js';
import { signin } from './signin.js';
import { registries, schemas, search } from './registries.js';
import { schema } from './schema.js';
import { version } from './version.js';
import { compare } from './compare.js';
import { playground } from './playground.js';
import { bus, buses } from './buses.js';
import { queues } from './queues.js';
import { trace } from './trace.js';
import { stopTail, tail } from './tail.js';
import { discovery } from './discovery.js';
import { catalog } from './catalog.js';

// [pattern, page]: `:name` captures a (decoded) path segment.
const ROUTES = [
  ['registries', registries],
  ['registries/:registry', schemas],
  ['registries/:registry/schemas/:schema', schema],
  ['registries/:registry/schemas/:schema/versions/:version', version],
  ['registries/:registry/schemas/:schema/diff', compare],
  ['search', search],
  ['playground', playground],
  ['buses', buses],
  ['buses/:bus', bus],
  ['buses/:bus/events/:event/trace', trace],
  ['buses/:bus/tail', tail],
  ['discovery', discovery],
  ['queues', queues],
  ['catalog', catalog],
];

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, query: Object.fromEntries(new URLSearchParams(qs)) };
}

function match(parts) {
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { page, params };
    }
  }
  return null;
}

let generation = 0;

async function route() {
  const mine = ++generation;
  stopTail(); // a live tail's stream ends with its page
  const nav = document.getElementById('nav');
  const { parts, query } = parse();
  if (!getKey()) {
    nav.hidden = true;
    return signin();
  }
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a')) {
    const current = parts[0] && a.getAttribute('href') === `#/${parts[0]}`;
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (parts.length === 0) {
    location.replace('#/registries');
    return;
  }
  const found = match(parts);
  if (!found) {
    mount(errorBox({ code: 'not_found', message: `No console page at #/${parts.join('/')}.` }));
    return;
  }
  try {
    // A page renders into #main; a slower earlier page must not overwrite a newer one.
    await found.page({ ...found.params, query, stale: () => mine !== generation });
  } catch (e) {
    if (mine === generation) mount(errorBox(e));
  }
  if (mine === generation) {
    const h1 = document.querySelector('main h1');
    document.title = h1 ? `${h1.textContent} · schemabus` : 'schemabus console';
    // Keyboard and screen-reader users land on the new page's content.
    if (!document.activeElement || document.activeElement === document.body || document.activeElement.closest('nav')) {
      document.getElementById('main').focus();
    }
  }
}

document.getElementById('signout').addEventListener('click', () => {
  clearKey();
  location.hash = '#/registries';
  route();
});
window.addEventListener('hashchange', route);
route();
