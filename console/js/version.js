// One version: its content highlighted, and its code bindings (preview and download).
import { api, query, seg } from './api.js';
import { errorBox, h, live, mount } from './dom.js';
import { codeView } from './json.js';

const LANGUAGES = [['rust', 'Rust'], ['typescript', 'TypeScript']];

export async function version({ registry, schema, version: v, query: q }) {
  const path = `/v1/registries/${seg(registry)}/schemas/${seg(schema)}/versions/${seg(v)}`;
  const record = await api('GET', path);
  const base = `#/registries/${seg(registry)}/schemas/${seg(schema)}`;
  const lang = LANGUAGES.some(([l]) => l === q.lang) ? q.lang : 'rust';
  const preview = live({ id: 'binding-preview' });
  const status = live({ id: 'download-status' });
  const download = h('button', {
    type: 'button',
    id: 'download',
    class: 'secondary',
    onclick: async () => {
      try {
        const blob = await api('GET', `${path}/bindings/${lang}${query({ format: 'zip' })}`, undefined, 'blob');
        const file = `${schema.replace(/[^A-Za-z0-9._-]/g, '_')}-v${record.version}-${lang}.zip`;
        const a = h('a', { href: URL.createObjectURL(blob), download: file });
        document.body.append(a);
        a.click();
        a.remove();
        status.replaceChildren(h('p', { class: 'ok' }, `Downloaded ${file} (${blob.size} bytes).`));
      } catch (e) {
        status.replaceChildren(errorBox(e));
      }
    },
  }, 'Download the package (.zip)');
  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '#/registries' }, 'Registries'), ' / ',
      h('a', { href: `#/registries/${seg(registry)}` }, registry), ' / ', h('a', { href: base }, schema), ' / ', `v${record.version}`),
    h('h1', {}, `${schema} v${record.version}`),
    h('p', { class: 'muted' }, `Registered ${record.createdAt} · ${record.draft} · ${record.fingerprint}`),
    record.description ? h('p', {}, record.description) : null,
    h('p', {},
      record.version > 1 ? [h('a', { href: `${base}/diff?from=${record.version - 1}&to=${record.version}` }, `Compare with v${record.version - 1}`), ' · '] : null,
      h('a', { href: `#/playground?registry=${seg(registry)}&schema=${seg(schema)}&version=${record.version}` }, 'Validate an event against it')),
    h('h2', {}, 'Content'),
    codeView(record.content, new Map(), `Content of ${schema} v${record.version}`),
    h('h2', { id: 'bindings' }, 'Code bindings'),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Language' }, LANGUAGES.map(([l, label]) => h('a', {
      role: 'tab', href: `${base}/versions/${record.version}?lang=${l}`, 'aria-selected': String(l === lang), class: 'button',
    }, label))),
    download,
    status,
    preview,
  );
  try {
    const source = await api('GET', `${path}/bindings/${lang}?format=source`, undefined, 'text');
    preview.replaceChildren(h('pre', { class: 'source', tabindex: '0', 'aria-label': `${lang} source` }, h('code', {}, source)));
  } catch (e) {
    preview.replaceChildren(errorBox(e));
  }
}
