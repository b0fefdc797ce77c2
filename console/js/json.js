// JSON pretty-printed exactly like JSON.stringify(value, null, 2), as tokens per line, with
// the line of every JSON Pointer: that map places validation errors on the event's lines.
import { h } from './dom.js';

const escapePointer = (k) => String(k).replaceAll('~', '~0').replaceAll('/', '~1');

/** Lays a value out: {lines: [[class, text], …][], at: Map<pointer, line index>}. */
export function layout(value) {
  const lines = [];
  const at = new Map();
  let cur = [];
  const tok = (cls, text) => cur.push([cls, text]);
  const newline = () => { lines.push(cur); cur = []; };
  const walk = (v, ptr, indent) => {
    at.set(ptr, lines.length);
    const pad = '  '.repeat(indent + 1);
    if (Array.isArray(v)) {
      if (v.length === 0) return tok('p', '[]');
      tok('p', '['); newline();
      v.forEach((x, i) => {
        tok('', pad); walk(x, `${ptr}/${i}`, indent + 1);
        if (i < v.length - 1) tok('p', ',');
        newline();
      });
      tok('', '  '.repeat(indent)); tok('p', ']');
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) return tok('p', '{}');
      tok('p', '{'); newline();
      keys.forEach((k, i) => {
        tok('', pad); tok('k', JSON.stringify(k)); tok('p', ': ');
        walk(v[k], `${ptr}/${escapePointer(k)}`, indent + 1);
        if (i < keys.length - 1) tok('p', ',');
        newline();
      });
      tok('', '  '.repeat(indent)); tok('p', '}');
    } else if (typeof v === 'string') tok('s', JSON.stringify(v));
    else if (typeof v === 'number') tok('n', JSON.stringify(v));
    else if (typeof v === 'boolean') tok('b', String(v));
    else tok('z', 'null');
  };
  walk(value, '', 0);
  newline();
  return { lines, at };
}

/** The line of a pointer: its own, else its nearest existing parent's (a missing property). */
export function lineOf(at, pointer) {
  let p = pointer;
  for (;;) {
    if (at.has(p)) return at.get(p);
    if (p === '') return 0;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/** One numbered code row from tokens. */
export function row(no, tokens, cls = '') {
  return h('div', { class: `row ${cls}`.trim(), 'data-line': no },
    h('span', { class: 'no', 'aria-hidden': 'true' }, no),
    h('span', { class: 'text' }, tokens.map(([c, t]) => (c ? h('span', { class: `t-${c}` }, t) : t))));
}

/**
 * A highlighted view of a value. `notes`: Map<line index, string[]> shown under the line,
 * which is then marked `bad`.
 */
export function codeView(value, notes = new Map(), label = 'JSON') {
  const { lines } = layout(value);
  const pre = h('div', { class: 'code', role: 'region', 'aria-label': label, tabindex: '0' });
  lines.forEach((tokens, i) => {
    const msgs = notes.get(i) || [];
    pre.append(row(i + 1, tokens, msgs.length ? 'bad' : ''));
    for (const m of msgs) pre.append(h('div', { class: 'note', role: 'note' }, `line ${i + 1}: ${m}`));
  });
  return pre;
}
