// The playground: check a draft against the registry's rules, validate an event against a
// version (errors on the event's lines, by JSON Pointer), test an event pattern.
import { api, seg } from './api.js';
import { errorBox, field, h, live, mount, parseJson } from './dom.js';
import { codeView, layout, lineOf } from './json.js';

const SAMPLE_EVENT = {
  version: '0', id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718', 'detail-type': 'OrderPlaced', source: 'shop',
  account: '000000000000', time: '2026-01-01T00:00:00Z', region: 'local', resources: [],
  detail: { orderId: 'o-1', total: 12.5 },
};

const area = (id, text, rows = 10) => h('textarea', { id, name: id, rows, spellcheck: 'false' }, text);

/** Runs `work` on submit, showing its result or the refusal in `out`. */
const tool = (title, id, fields, button, out, work) => {
  const form = h('form', {
    id,
    onsubmit: async (e) => {
      e.preventDefault();
      out.replaceChildren(h('p', { class: 'muted' }, 'Working…'));
      try {
        out.replaceChildren(await work());
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    },
  }, fields, h('p', {}, h('button', { type: 'submit' }, button)));
  return h('section', { class: 'tool', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), form, out);
};

export async function playground({ query: q }) {
  const registry = h('input', { id: 'pg-registry', value: q.registry || '', required: true });
  const schema = h('input', { id: 'pg-schema', value: q.schema || '', required: true });
  const version = h('input', { id: 'pg-version', value: q.version || 'latest', required: true, size: 8 });
  const path = () => `/v1/registries/${seg(registry.value)}/schemas/${seg(schema.value)}`;
  let draftText = '{\n  "type": "object"\n}';
  if (q.registry && q.schema) {
    // Start the draft from the latest version: editing it is the usual way to a new version.
    try {
      draftText = JSON.stringify((await api('GET', `${path()}/versions/latest`)).content, null, 2);
    } catch { /* a new schema: keep the stub */ }
  }
  const draft = area('draft', draftText, 14);
  const event = area('event', JSON.stringify(SAMPLE_EVENT.detail, null, 2), 6);
  const pattern = area('pattern', JSON.stringify({ source: ['shop'], 'detail-type': ['OrderPlaced'] }, null, 2), 6);
  const patternEvent = area('pattern-event', JSON.stringify(SAMPLE_EVENT, null, 2), 12);

  const check = tool('Check a draft schema', 'check', field('Draft JSON Schema', draft), 'Check compatibility', live({ id: 'check-result' }), async () => {
    const report = await api('POST', `${path()}/compatibility`, { content: parseJson(draft.value, 'The draft') });
    return h('div', {},
      h('p', { class: report.compatible ? 'ok' : 'error' }, report.compatible
        ? `Compatible: it could be registered under ${report.compatibility} (${report.policy}).`
        : `Not compatible under ${report.compatibility} (${report.policy}): registering it would be refused.`),
      report.checkedAgainst.length ? h('p', { class: 'muted' }, `Checked against ${report.checkedAgainst.map((v) => `v${v}`).join(', ')}.`) : null,
      report.findings.length ? h('ul', {}, report.findings.map((f) => h('li', {},
        h('span', { class: `badge ${f.compatible ? 'good' : 'bad'}` }, f.compatible ? 'fine' : 'breaks'), ' ', f.message,
        ' ', h('code', { class: 'muted' }, f.path), f.version ? ` (against v${f.version})` : ''))) : null);
  });

  const validate = tool('Validate an event', 'validate', field('Event (the detail checked by the contract)', event), 'Validate', live({ id: 'validate-result' }), async () => {
    const doc = parseJson(event.value, 'The event');
    const report = await api('POST', `${path()}/versions/${seg(version.value)}/validate`, doc);
    if (report.valid) return h('p', { class: 'ok' }, `Valid against v${report.version}.`);
    // Each error goes under the line its instancePath points at, in the pretty-printed event.
    const { at } = layout(doc);
    const notes = new Map();
    for (const e of report.errors) {
      const line = lineOf(at, e.instancePath);
      notes.set(line, [...(notes.get(line) || []), `${e.message} (${e.instancePath || '/'})`]);
    }
    return h('div', {},
      h('p', { class: 'error' }, `Invalid against v${report.version}: ${report.errors.length} error(s)${report.truncated ? ', more not listed' : ''}.`),
      codeView(doc, notes, 'Event with its errors'));
  });

  const test = tool('Test an event pattern', 'pattern-test', h('div', { class: 'grid2' }, field('Event pattern', pattern), field('Event (the whole envelope)', patternEvent)),
    'Test the pattern', live({ id: 'pattern-result' }), async () => {
      const result = await api('POST', '/v1/test-event-pattern', { pattern: parseJson(pattern.value, 'The pattern'), event: parseJson(patternEvent.value, 'The event') });
      return h('p', { class: result.matches ? 'ok' : 'error' }, result.matches ? 'The pattern matches the event.' : 'The pattern does not match the event.');
    });

  mount(
    h('h1', {}, 'Playground'),
    h('p', { class: 'muted' }, 'Nothing here is stored: checks and validation only read the registry.'),
    h('div', { class: 'inline', role: 'group', 'aria-label': 'Contract' },
      field('Registry', registry), field('Schema', schema), field('Version (or latest)', version)),
    check, validate, test,
  );
}
