// Tiny DOM helpers: elements are built with createElement and text nodes, never innerHTML,
// so names and event contents from the API cannot inject markup.

/** h('a', {href: '#/x'}, 'text', child): attributes starting with `on` are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the page content. */
export function mount(...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
  return main;
}

/** The API's refusal as shown everywhere: its code and message. */
export function errorBox(err) {
  const code = err && err.code ? err.code : 'error';
  return h('div', { class: 'error', role: 'alert' }, h('code', {}, code), ': ', err && err.message ? err.message : String(err));
}

/** A region whose content is replaced by later results (announced to screen readers). */
export function live(attrs = {}) {
  return h('div', { 'aria-live': 'polite', ...attrs });
}

/** A labelled form field: label text, then the control. */
export function field(text, control) {
  return h('label', {}, text, control);
}

/** Parses JSON typed by the user, throwing an error in the API's shape. */
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    const err = new Error(`${what} is not valid JSON: ${e.message}`);
    err.code = 'invalid_json';
    throw err;
  }
}

/** A cursor pager: "First page" and "Next page" links built by `href(cursor)`. */
export function pager(cursor, nextCursor, href) {
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: href('') }, 'First page') : null,
    nextCursor ? h('a', { href: href(nextCursor), rel: 'next' }, 'Next page') : null);
}
