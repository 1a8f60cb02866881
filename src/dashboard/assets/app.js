// gantry dashboard: plain modern JavaScript, no build step, no third-party
// code. Pages are picked by the address after '#'; data comes from /api/*
// and live changes from the server-sent event stream /api/stream (fed by
// Kubernetes watches on the server). Text is always inserted as text nodes,
// never as HTML.
'use strict';

const state = {
  deployments: new Map(),  // key "KIND/NS/NAME" -> summary
  actions: false,
  token: '',
  tokenReview: false,
  filter: { text: '', ready: '', suspended: false },
  page: null,             // {render(), onChange(key)}
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const keyOf = (d) => `${d.kind}/${d.namespace}/${d.name}`;
const shortRev = (r) => (r || '').replace(/^([^@]*@)?(sha1:)?/, '').slice(0, 12) || '—';
const enc = encodeURIComponent;

function ago(time) {
  if (!time) return '—';
  const s = Math.round((Date.now() - Date.parse(time)) / 1000);
  if (Number.isNaN(s)) return time;
  if (s < 60) return `${Math.max(s, 0)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function badge(cls, text, label) {
  return el('span', { class: `badge ${cls}`, 'aria-label': label || text }, text);
}

async function api(path, options) {
  const r = await fetch(path, Object.assign({ cache: 'no-store' }, options || {}));
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (!r.ok) throw new Error((body && body.message) || `HTTP ${r.status}`);
  return body;
}

function crumbs(items) {
  const ol = document.getElementById('crumbs');
  ol.replaceChildren(...items.map(([text, href], i) => el('li', {},
    href && i < items.length - 1 ? el('a', { href }, text)
      : el('span', { 'aria-current': i === items.length - 1 ? 'page' : null }, text))));
}

function setMain(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children);
}

// ---- Overview ---------------------------------------------------------------

function matches(d) {
  const f = state.filter;
  if (f.ready && d.ready !== f.ready) return false;
  if (f.suspended && !d.suspended) return false;
  if (!f.text) return true;
  const hay = [d.kind, d.namespace, d.name, d.target, d.sourceUrl, d.sourceRef, d.revision]
    .join(' ').toLowerCase();
  return f.text.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

function overviewRow(d) {
  const lr = d.lastResult || {};
  const counts = lr.time
    ? `${lr.applied || 0} applied, ${lr.unchanged || 0} unchanged, ${lr.pruned || 0} pruned` +
      (lr.failed ? `, ${lr.failed} failed` : '')
    : '—';
  const href = `#/d/${enc(d.kind)}/${enc(d.namespace)}/${enc(d.name)}`;
  return el('tr', { 'data-key': keyOf(d) },
    el('td', {}, el('a', { href }, d.name), el('div', { class: 'muted' }, d.namespace),
      d.kind === 'KluctlDeployment' ? el('div', { class: 'muted' }, 'KluctlDeployment') : null,
      d.suspended ? el('div', { class: 'show-narrow' }, badge('suspended', 'suspended')) : null),
    el('td', {}, d.target || '—'),
    el('td', { class: 'hide-narrow' }, el('div', {}, d.sourceUrl || '—'),
      el('div', { class: 'muted' }, [d.sourceRef, d.sourcePath].filter(Boolean).join(', '))),
    el('td', { class: 'hide-narrow' }, el('code', { title: d.revision || '' }, shortRev(d.revision))),
    el('td', { class: 'ready' }, badge(`r-${d.ready}`, d.ready, `Ready: ${d.ready}`),
      d.readyReason ? el('div', { class: 'muted' }, d.readyReason) : null),
    el('td', { class: 'hide-narrow' }, counts),
    el('td', { title: d.lastDeployTime || '' }, ago(d.lastDeployTime)),
    el('td', { class: 'num drift' }, String(d.driftRepairs || 0)),
    el('td', { class: 'hide-narrow' }, d.suspended ? badge('suspended', 'suspended') : 'no'));
}

function renderOverviewRows() {
  const body = document.getElementById('overview-body');
  if (!body) return;
  const all = [...state.deployments.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const shown = all.filter(matches);
  body.replaceChildren(...shown.map(overviewRow));
  if (!shown.length) {
    body.append(el('tr', {}, el('td', { colspan: 9, class: 'muted' },
      all.length ? 'No deployment matches the filter.' : 'No deployments found.')));
  }
  document.getElementById('overview-count').textContent =
    `${shown.length} of ${all.length} deployments`;
  performance.mark(`overview-rows-${shown.length}`);  // read by bench/dashboard/run.sh
}

function overviewPage() {
  crumbs([['Deployments', '#/']]);
  const f = state.filter;
  const text = el('input', { id: 'filter-text', type: 'search', value: f.text,
    placeholder: 'name, namespace, target, source…',
    oninput: (e) => { f.text = e.target.value; renderOverviewRows(); } });
  const ready = el('select', { id: 'filter-ready',
    onchange: (e) => { f.ready = e.target.value; renderOverviewRows(); } },
  ...[['', 'any'], ['True', 'True'], ['False', 'False'], ['Unknown', 'Unknown']]
    .map(([v, t]) => el('option', { value: v, selected: f.ready === v }, t)));
  const susp = el('input', { id: 'filter-suspended', type: 'checkbox', checked: f.suspended,
    onchange: (e) => { f.suspended = e.target.checked; renderOverviewRows(); } });
  setMain(
    el('h1', {}, 'Deployments'),
    el('div', { class: 'toolbar', role: 'search' },
      el('label', { for: 'filter-text' }, 'Search', text),
      el('label', { for: 'filter-ready' }, 'Ready', ready),
      el('label', { for: 'filter-suspended', class: 'check' }, 'Suspended only', susp),
      el('span', { id: 'overview-count', class: 'muted', 'aria-live': 'polite' })),
    el('div', { class: 'table-wrap' },
      el('table', { id: 'overview' },
        el('caption', { class: 'muted', style: null }, 'GantryDeployments and KluctlDeployments'),
        el('thead', {}, el('tr', {}, ...['Name', 'Target', 'Source', 'Revision', 'Ready',
          'Last result', 'Last deploy', 'Drift repairs', 'Suspended'].map((h, i) =>
          el('th', { scope: 'col', class: [2, 3, 5, 8].includes(i) ? 'hide-narrow' : null }, h)))),
        el('tbody', { id: 'overview-body' }))));
  renderOverviewRows();
  return { onChange: () => renderOverviewRows() };
}

// ---- Deployment -------------------------------------------------------------

function summaryCards(d) {
  const lr = d.lastResult || {};
  const item = (t, v, id) => el('div', { class: 'card' }, el('dt', {}, t), el('dd', { id }, v));
  return el('dl', { class: 'cards', id: 'summary' },
    item('Ready', badge(`r-${d.ready}`, d.ready, `Ready: ${d.ready}`), 'ready'),
    item('Message', d.readyMessage || '—'),
    item('Target', d.target || '—'),
    item('Source', `${d.sourceUrl || '—'} (${d.sourceRef || ''}${d.sourcePath ? ', ' + d.sourcePath : ''})`),
    item('Revision', el('code', {}, d.revision || '—')),
    item('Last deploy', `${ago(d.lastDeployTime)} — ${lr.applied || 0} applied, ` +
      `${lr.unchanged || 0} unchanged, ${lr.pruned || 0} pruned, ${lr.failed || 0} failed`),
    item('Managed objects', String(d.managedObjects || 0)),
    item('Drift repairs', String(d.driftRepairs || 0), 'drift-count'),
    item('Suspended', d.suspended ? 'yes' : 'no', 'suspended'),
    d.invalid ? item('Invalid spec', d.invalid) : null);
}

function repairsList(d) {
  const items = [...(d.recentRepairs || [])].reverse();
  return el('ul', { id: 'repairs' }, items.length
    ? items.map((r) => el('li', {}, el('strong', {}, r.object), ' — ', r.change, ' ',
      el('span', { class: 'muted', title: r.time }, ago(r.time))))
    : el('li', { class: 'muted' }, 'No drift repaired yet.'));
}

function objectItem(d, o) {
  return el('li', { 'data-object': `${o.kind}/${o.namespace}/${o.name}`, 'data-health': o.health },
    badge(`h-${o.health}`, o.health, `health: ${o.health}`),
    el('a', { href: `#/o/${enc(d.kind)}/${enc(d.namespace)}/${enc(d.name)}/` +
      `${enc(o.kind)}/${enc(o.namespace)}/${enc(o.name)}` },
    `${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`),
    o.replicas ? el('span', { class: 'replicas' },
      `${o.replicas.ready}/${o.replicas.desired} ready, ${o.replicas.updated} updated`) : null,
    o.reason && o.health !== 'ready' ? el('span', { class: 'muted' }, o.reason) : null);
}

// The objects with what the diff says of them: when Git's revision is the
// one applied, a live object that differs from Git has drifted and one the
// plan would create is missing (the server marks recent repairs itself).
function withDrift(objects, changes) {
  if (!changes || changes.error || !changes.revision ||
      shortRev(changes.revision) !== shortRev(changes.appliedRevision)) return objects;
  const change = new Map((changes.objects || []).map((c) =>
    [`${c.kind}/${c.namespace}/${c.name}`, c.change]));
  return objects.map((o) => {
    const c = change.get(`${o.kind}/${o.namespace}/${o.name}`);
    if (c === 'update' && (o.health === 'ready' || o.health === 'progressing')) {
      return Object.assign({}, o, { health: 'drifted', reason: 'live object differs from Git' });
    }
    if (c === 'create' && o.health !== 'missing') {
      return Object.assign({}, o, { health: 'missing', reason: 'not found in the cluster' });
    }
    return o;
  });
}

function objectTree(d, objects) {
  // Grouped by the deployment item each object was rendered from.
  const groups = new Map();
  for (const o of objects) {
    const g = o.item || '(item not recorded)';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(o);
  }
  if (!groups.size) return el('p', { class: 'muted' }, 'No managed objects recorded yet.');
  const counts = (list) => {
    const n = {};
    for (const o of list) n[o.health] = (n[o.health] || 0) + 1;
    return Object.entries(n).map(([h, c]) => `${c} ${h}`).join(', ');
  };
  return el('div', { id: 'tree' }, ...[...groups.entries()].map(([g, list]) =>
    el('details', { class: 'group', open: true, 'data-item': g },
      el('summary', {}, `${g} `, el('span', { class: 'muted' }, `(${list.length}: ${counts(list)})`)),
      el('ul', {}, ...list.sort((a, b) => (a.kind + a.namespace + a.name)
        .localeCompare(b.kind + b.namespace + b.name)).map((o) => objectItem(d, o))))));
}

const resultBadge = (r) => badge(r === 'succeeded' ? 'r-True' : r === 'failed' ? 'r-False'
  : 'r-Unknown', r || '—', `result: ${r}`);

function historyTable(history) {
  if (!history.length) return el('p', { class: 'muted', id: 'history' }, 'No deploy recorded yet.');
  return el('div', { class: 'table-wrap' }, el('table', { id: 'history' },
    el('caption', { class: 'muted' }, `The last ${history.length} deploys, newest first`),
    el('thead', {}, el('tr', {}, ...['When', 'Revision', 'Result', 'Triggered by', 'Counts', 'Hooks']
      .map((h, i) => el('th', { scope: 'col', class: [5].includes(i) ? 'hide-narrow' : null }, h)))),
    el('tbody', {}, ...history.map((h) => el('tr', { 'data-revision': h.revision },
      el('td', { title: `${h.startedAt} – ${h.finishedAt}` }, ago(h.finishedAt)),
      el('td', {}, el('code', { title: h.revision }, shortRev(h.revision))),
      el('td', {}, resultBadge(h.result),
        h.attempts > 1 ? el('div', { class: 'muted' }, `${h.attempts} attempts`) : null,
        h.message ? el('div', { class: 'muted' }, h.message) : null),
      el('td', {}, h.trigger || '—', h.by ? el('div', { class: 'muted' }, h.by) : null),
      el('td', {}, `${h.applied} applied, ${h.unchanged} unchanged, ${h.pruned} pruned` +
        (h.failed ? `, ${h.failed} failed` : '')),
      el('td', { class: 'hide-narrow num' }, String((h.hooks || []).length)))))));
}

function hooksList(history) {
  const runs = history.filter((h) => (h.hooks || []).length);
  if (!runs.length) return el('p', { class: 'muted', id: 'hooks' }, 'No hooks ran in the recorded deploys.');
  return el('div', { id: 'hooks' }, ...runs.map((h) => el('details', { class: 'group', open: h === runs[0] },
    el('summary', {}, `Deploy of ${shortRev(h.revision)} `, el('span', { class: 'muted' }, ago(h.finishedAt))),
    el('ul', {}, ...h.hooks.map((k) => el('li', { 'data-hook': k.object },
      resultBadge(k.result), `${k.phase}: ${k.object}`,
      el('span', { class: 'muted' }, `item ${k.item || '—'}, weight ${k.weight}, ${k.durationMs} ms`),
      k.message ? el('span', { class: 'error' }, k.message) : null))))));
}

function eventsTable(events) {
  if (!events.length) return el('p', { class: 'muted' }, 'No events.');
  return el('div', { class: 'table-wrap' }, el('table', { id: 'events' },
    el('thead', {}, el('tr', {}, ...['Type', 'Reason', 'Message', 'Count', 'When']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...events.map((e) => el('tr', {},
      el('td', {}, e.type), el('td', {}, e.reason), el('td', {}, e.message),
      el('td', { class: 'num' }, String(e.count)), el('td', { title: e.time }, ago(e.time)))))));
}

// A unified diff, one line per element so additions and removals are coloured.
function diffBlock(text, label, id) {
  return el('pre', { class: 'diff', tabindex: 0, 'aria-label': label, id },
    ...text.split('\n').map((line) => el('span', { class: line.startsWith('+') ? 'add'
      : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : null }, line || ' ')));
}

function changesView(c) {
  if (c.error) return el('p', { class: 'error', role: 'alert', id: 'diff-error' }, c.error);
  const n = c.counts || {};
  const head = el('p', { id: 'diff-summary' },
    c.pending ? badge('r-Unknown', 'pending changes') : badge('r-True', 'in sync'), ' ',
    `Git ${shortRev(c.revision)}`,
    c.appliedRevision && c.appliedRevision !== c.revision
      ? ` (applied: ${shortRev(c.appliedRevision)})` : '',
    ` — ${n.create || 0} to create, ${n.update || 0} to update, ${n.delete || 0} to delete, ` +
    `${n.unchanged || 0} unchanged` + (n.pending ? `, ${n.pending} after their namespace or CRD` : '') +
    (n.failed ? `, ${n.failed} failed` : ''));
  const changed = (c.objects || []).filter((o) => o.change !== 'unchanged' && o.change !== 'hook');
  return el('div', { id: 'diff' }, head,
    ...changed.map((o) => el('details', { class: 'group', open: changed.length <= 5,
      'data-diff': `${o.kind}/${o.namespace}/${o.name}` },
    el('summary', {}, `${o.change}: ${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`),
    o.error ? el('p', { class: 'error' }, o.error) : null,
    o.diff ? diffBlock(o.diff, `diff of ${o.kind} ${o.name}`) : null)),
    ...(c.deletions || []).map((o) => el('p', { 'data-diff': `${o.kind}/${o.namespace}/${o.name}` },
      badge('h-degraded', 'delete'), ` ${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`)));
}

// `onDryRun(changes)` shows the answer of a dry run (the /api/diff shape).
function actionsPanel(d, onDryRun) {
  if (!state.actions) {
    return el('p', { class: 'muted', id: 'actions' },
      'Read-only: start the dashboard with --token-file or --token-review to reconcile, suspend, ' +
      'resume, prune or dry-run here.');
  }
  const out = el('span', { role: 'status', 'aria-live': 'polite', class: 'muted', id: 'action-result' });
  const token = el('input', { id: 'token', type: 'password', autocomplete: 'off', value: state.token,
    oninput: (e) => { state.token = e.target.value; } });
  const act = async (verb, done) => {
    out.textContent = `${verb}…`;
    try {
      const r = await api(`/api/actions/${verb}?kind=${enc(d.kind)}&namespace=${enc(d.namespace)}` +
        `&name=${enc(d.name)}`, { method: 'POST',
        headers: { Authorization: `Bearer ${state.token}`, 'X-Gantry-CSRF': '1' } });
      out.textContent = done ? done(r) : `${verb}: requested`;
    } catch (e) { out.textContent = `${verb} refused: ${e.message}`; }
  };
  const prune = () => {
    if (!window.confirm(`Delete the objects of ${d.namespace}/${d.name} that Git no longer has?`)) return;
    act('prune', (r) => `prune: ${r.deleted.length} deleted` +
      (r.deleted.length ? ` (${r.deleted.join(', ')})` : '') +
      (r.kept.length ? `, ${r.kept.length} kept` : '') + ` — Git ${shortRev(r.revision)}`);
  };
  const dryRun = () => act('dry-run', (r) => {
    onDryRun(r);
    return r.error ? `dry run failed: ${r.error}` : `dry run of Git ${shortRev(r.revision)}: see the diff below`;
  });
  return el('div', { class: 'actions', id: 'actions' },
    el('label', { for: 'token' }, state.tokenReview ? 'Token (yours for Kubernetes) ' : 'Token ', token),
    el('button', { type: 'button', onclick: () => act('reconcile') }, 'Reconcile now'),
    d.suspended ? el('button', { type: 'button', onclick: () => act('resume') }, 'Resume')
      : el('button', { type: 'button', onclick: () => act('suspend') }, 'Suspend'),
    el('button', { type: 'button', id: 'dry-run', onclick: dryRun }, 'Dry run'),
    el('button', { type: 'button', id: 'prune', onclick: prune }, 'Prune'),
    out);
}

function deploymentPage(kind, ns, name) {
  const key = `${kind}/${ns}/${name}`;
  crumbs([['Deployments', '#/'], [`${ns}/${name}`, null]]);
  const parts = { summary: el('div'), actions: el('div'), repairs: el('div'), tree: el('div'),
    history: el('div'), hooks: el('div'),
    diff: el('div', {}, el('p', { class: 'muted' }, 'Comparing Git with the cluster…')),
    events: el('div') };
  setMain(el('h1', {}, `${kind} ${ns}/${name}`), parts.summary, parts.actions,
    el('h2', {}, 'Recent drift repairs'), parts.repairs,
    el('h2', {}, 'Managed objects by deployment item'), parts.tree,
    el('h2', {}, 'Deploy history'), parts.history,
    el('h2', {}, 'Hooks'), parts.hooks,
    el('h2', {}, 'Diff between Git and the cluster'), parts.diff,
    el('h2', {}, 'Events'), parts.events);
  let shown = { d: null, objects: [], changes: null };
  const showTree = () => {
    if (shown.d) parts.tree.replaceChildren(objectTree(shown.d, withDrift(shown.objects, shown.changes)));
  };
  const showSummary = (d) => {
    parts.summary.replaceChildren(summaryCards(d));
    parts.repairs.replaceChildren(repairsList(d));
    const focused = parts.actions.contains(document.activeElement);
    if (!focused) {
      parts.actions.replaceChildren(actionsPanel(d, (c) => parts.diff.replaceChildren(changesView(c))));
    }
  };
  let timer = null;
  const q = `kind=${enc(kind)}&namespace=${enc(ns)}&name=${enc(name)}`;
  const loadDiff = async () => {
    try {
      const c = await api(`/api/diff?${q}`);
      shown.changes = c;
      parts.diff.replaceChildren(changesView(c));
      showTree();
    } catch (e) {
      parts.diff.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message));
    }
  };
  const load = async () => {
    try {
      const r = await api(`/api/deployment?${q}`);
      showSummary(r.deployment);
      shown = { d: r.deployment, objects: r.objects, changes: null };
      showTree();
      parts.history.replaceChildren(historyTable(r.history || []));
      parts.hooks.replaceChildren(hooksList(r.history || []));
      parts.events.replaceChildren(eventsTable(r.events));
    } catch (e) {
      parts.summary.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message));
    }
    loadDiff();
  };
  load();
  return {
    onChange: (changed) => {
      if (changed !== key) return;
      const d = state.deployments.get(key);
      if (d) showSummary(d);  // at once, from the stream
      clearTimeout(timer);
      timer = setTimeout(load, 300);  // then the objects' health
    },
  };
}

// ---- Object -----------------------------------------------------------------

function objectPage(dk, dns, dn, kind, ns, name) {
  crumbs([['Deployments', '#/'], [`${dns}/${dn}`, `#/d/${enc(dk)}/${enc(dns)}/${enc(dn)}`],
    [`${kind} ${name}`, null]]);
  const body = el('div');
  setMain(el('h1', {}, `${kind} ${ns ? ns + '/' : ''}${name}`), body);
  let timer = null;
  const load = async () => {
    try {
      const o = await api(`/api/object?kind=${enc(kind)}&namespace=${enc(ns)}&name=${enc(name)}` +
        `&dkind=${enc(dk)}&dnamespace=${enc(dns)}&dname=${enc(dn)}`);
      const mf = o.managedFields || [];
      const want = o.desired || {};
      const desired = want.error && !want.desiredYaml
        ? [el('p', { class: 'error', id: 'desired-error' }, want.error)]
        : [el('p', { id: 'desired-change' },
          want.change === 'unchanged' ? badge('r-True', 'in sync') : badge('r-Unknown', want.change),
          ` Git ${shortRev(want.revision)}`),
        want.diff ? diffBlock(want.diff, 'diff between the live and the desired object', 'object-diff')
          : el('p', { class: 'muted' }, 'No difference.'),
        el('h2', {}, 'Desired YAML (from Git)'),
        el('pre', { id: 'desired-yaml', tabindex: 0, 'aria-label': 'desired YAML' },
          want.desiredYaml || '')];
      body.replaceChildren(
        el('p', {}, badge(`h-${o.health.health}`, o.health.health, `health: ${o.health.health}`),
          ' ', o.health.reason || ''),
        el('details', { id: 'managed-fields' },
          el('summary', {}, `managedFields (${mf.length} managers, folded)`),
          el('ul', {}, ...mf.map((m) => el('li', {},
            `${m.manager} — ${m.operation}${m.subresource ? ' (' + m.subresource + ')' : ''}, ${m.time}`)))),
        el('h2', {}, 'Live YAML'),
        el('pre', { id: 'yaml', tabindex: 0, 'aria-label': 'live YAML' }, o.yaml),
        el('h2', {}, 'Diff with Git'), ...desired);
    } catch (e) {
      body.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message));
    }
  };
  load();
  const key = `${dk}/${dns}/${dn}`;
  return {
    onChange: (changed) => {
      if (changed !== key) return;
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    },
  };
}

// ---- Routing and the live stream ---------------------------------------------

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'd' && parts.length === 4) state.page = deploymentPage(parts[1], parts[2], parts[3]);
  else if (parts[0] === 'o' && parts.length === 7) state.page = objectPage(...parts.slice(1));
  else state.page = overviewPage();
  document.getElementById('main').focus({ preventScroll: true });
}

function connect() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/stream');
  es.addEventListener('open', () => { live.textContent = 'live'; });
  es.addEventListener('error', () => { live.textContent = 'reconnecting…'; });
  es.addEventListener('snapshot', (e) => {
    state.deployments = new Map(JSON.parse(e.data).map((d) => [keyOf(d), d]));
    document.body.dataset.synced = 'true';
    if (state.page) state.page.onChange(null);
  });
  es.addEventListener('deployment', (e) => {
    const d = JSON.parse(e.data);
    state.deployments.set(keyOf(d), d);
    if (state.page) state.page.onChange(keyOf(d));
  });
  es.addEventListener('deleted', (e) => {
    const { key } = JSON.parse(e.data);
    state.deployments.delete(key);
    if (state.page) state.page.onChange(key);
  });
}

async function init() {
  try {
    const s = await api('/api/session');
    state.actions = s.actions;
    state.tokenReview = s.tokenReview;
  } catch (_) { state.actions = false; }
  window.addEventListener('hashchange', route);
  route();
  connect();
}

document.addEventListener('DOMContentLoaded', init);
