// A line diff (longest common subsequence) of two pretty-printed versions, laid out side by
// side. Schemas are small; past MAX lines a side, the whole texts are shown as changed.
import { h } from './dom.js';
import { layout, row } from './json.js';

const MAX = 3000;

/** Rows [{left, right}] where each side is a line index or null. */
export function align(a, b) {
  const n = a.length;
  const m = b.length;
  if (n > MAX || m > MAX) {
    return [...a.map((_, i) => ({ left: i, right: null })), ...b.map((_, j) => ({ left: null, right: j }))];
  }
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) rows.push({ left: i++, right: j++ });
    else if (j < m && (i === n || dp[i][j + 1] >= dp[i + 1][j])) rows.push({ left: null, right: j++ });
    else rows.push({ left: i++, right: null });
  }
  return rows;
}

const text = (tokens) => tokens.map(([, t]) => t).join('');

/** Two code columns of the values, removed lines red on the left, added green on the right. */
export function sideBySide(older, newer, labels) {
  const a = layout(older).lines;
  const b = layout(newer).lines;
  const rows = align(a.map(text), b.map(text));
  const left = h('div', { class: 'code', role: 'region', 'aria-label': labels[0], tabindex: '0' });
  const right = h('div', { class: 'code', role: 'region', 'aria-label': labels[1], tabindex: '0' });
  for (const r of rows) {
    const changed = r.left === null || r.right === null;
    left.append(r.left === null ? h('div', { class: 'row gap' }, ' ') : row(r.left + 1, a[r.left], changed ? 'del' : ''));
    right.append(r.right === null ? h('div', { class: 'row gap' }, ' ') : row(r.right + 1, b[r.right], changed ? 'add' : ''));
  }
  return h('div', { class: 'grid2' }, h('div', {}, h('h3', {}, labels[0]), left), h('div', {}, h('h3', {}, labels[1]), right));
}
