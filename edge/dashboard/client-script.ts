/**
 * The dashboard's one client script (plain JS, served as is from /dashboard/app.js, no build
 * step). It reads `data-page` on <body> and runs that page's live part against the admin API,
 * authenticated by the session cookie; unsafe requests carry the page's CSRF token.
 * The job page keeps the log in flat arrays and renders only the rows in view, once a frame.
 */
export const clientScript = String.raw`'use strict';
const $ = (sel, root) => (root || document).querySelector(sel);
const csrf = ($('meta[name=csrf-token]') || {}).content || '';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'delivery_timed_out']);

/** Makes an element: h('td', {class: 'x'}, 'text', child). Text is always text, never HTML. */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

async function api(method, path, body) {
  const headers = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.href = '/login?next=' + encodeURIComponent(location.pathname);
    throw new Error('signed out');
  }
  const text = await res.text();
  let json = {};
  try { json = text ? JSON.parse(text) : {}; } catch { json = { error: text }; }
  return { status: res.status, ok: res.ok, body: json };
}

function ago(ms) {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return new Date(ms).toLocaleString();
}
const duration = (ms) => ms < 1000 ? ms + ' ms' : ms < 120000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 60000) + ' min';
const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');
const badge = (state) => h('span', { class: 'badge ' + state }, state.replace(/_/g, ' '));

/** Runs fn now and then every ms, never two at once; a failure shows and the loop goes on. */
function every(ms, fn, onError) {
  const run = async () => {
    try { await fn(); } catch (e) { if (onError) onError(e); }
    setTimeout(run, ms);
  };
  return run();
}

// ── fleet ────────────────────────────────────────────────────────────────────────────────
function platformText(p) {
  if (!p) return h('span', { class: 'muted' }, 'not reported yet');
  return h('span', {}, p.os + ' / ' + p.arch, p.hostname ? h('div', { class: 'muted' }, p.hostname) : null);
}
function acceleratorsText(p) {
  if (!p) return '';
  if (p.accelerators.length === 0) return h('span', { class: 'muted' }, 'none');
  return p.accelerators.map((a) => h('span', { class: 'chip' }, a.kind + (a.name ? ' · ' + a.name : '') + (a.driver ? ' (driver ' + a.driver + ')' : '')));
}
const labelsText = (labels) => Object.entries(labels).map(([k, v]) => h('span', { class: 'chip' }, k + '=' + v));

function fleetPage() {
  const tbody = $('#hives tbody');
  return every(2000, async () => {
    const r = await api('GET', '/api/hives');
    const hives = r.body.hives.sort((a, b) => a.name.localeCompare(b.name));
    const online = hives.filter((x) => x.online).length;
    $('#fleet-summary').textContent = plural(hives.length, 'hive') + ', ' + online + ' online';
    tbody.replaceChildren(...hives.map((hv) => h('tr', { dataset: { hive: hv.name } },
      h('td', {}, h('strong', {}, hv.name), h('div', { class: 'muted' }, hv.id)),
      h('td', {}, badge(hv.online ? 'online' : 'offline'), h('div', { class: 'muted' }, hv.online ? 'connected' : 'last seen ' + ago(hv.last_seen))),
      h('td', {}, platformText(hv.platform)),
      h('td', {}, acceleratorsText(hv.platform)),
      h('td', {}, labelsText(hv.labels)),
      h('td', {}, hv.installed.length === 0 ? h('span', { class: 'muted' }, 'none') :
        hv.installed.map((w) => h('div', {}, w.id + ' ', h('span', { class: 'muted' }, w.version)))),
    )));
    if (hives.length === 0) tbody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No hive is enrolled yet.')));
  }, (e) => { $('#fleet-summary').textContent = 'update failed: ' + e.message; });
}

// ── catalog ──────────────────────────────────────────────────────────────────────────────
/** Why a hive cannot run a catalog entry (empty: it can), from its platform report. */
function whyNot(hive, entry) {
  const p = hive.platform;
  if (!p) return ['the hive has not reported its platform yet'];
  const out = [];
  if (!entry.platforms.includes(p.os)) out.push('built for ' + entry.platforms.join('/') + ', hive runs ' + p.os);
  if (!entry.architectures.includes(p.arch)) out.push('built for ' + entry.architectures.join('/') + ', hive is ' + p.arch);
  const kinds = p.accelerators.map((a) => a.kind);
  if (entry.worker_type === 'cuda' && !kinds.includes('cuda')) out.push('needs a CUDA GPU, hive has none');
  if (entry.worker_type === 'metal' && !kinds.includes('metal')) out.push('needs Metal, hive has none');
  return out;
}

/** Asks the edge which entries a hive can run and why not; null when this edge cannot say. */
async function serverFit(hive) {
  const r = await api('GET', '/api/hives/' + encodeURIComponent(hive.id) + '/catalog?all=1');
  if (!r.ok || !Array.isArray(r.body.workers)) return null;
  const map = new Map();
  for (const w of r.body.workers) {
    if (typeof w.runnable !== 'boolean') return null;
    map.set(w.id, w.runnable ? [] : (w.reasons || []).map((r) => (typeof r === 'string' ? r : r.message)));
  }
  return map;
}

async function catalogPage() {
  const [w, hv] = await Promise.all([api('GET', '/workers'), api('GET', '/api/hives')]);
  const workers = w.body.workers;
  const hives = hv.body.hives.sort((a, b) => a.name.localeCompare(b.name));
  const fits = await Promise.all(hives.map(serverFit));
  const fromServer = fits.every((f) => f !== null) && hives.length > 0;
  $('#catalog-note').textContent = fromServer
    ? 'Which hive can run what is the edge\'s own check (the one the agent makes at its platform step).'
    : 'Which hive can run what is worked out here, from each hive\'s reported OS, CPU and GPUs.';
  const reasons = (hive, i, entry) => fromServer ? (fits[i].get(entry.id) ?? ['not in the edge\'s list for this hive']) : whyNot(hive, entry);
  $('#catalog').replaceChildren(...workers.map((entry) => workerCard(entry, hives, reasons)));
}

function workerCard(entry, hives, reasons) {
  const status = h('div', { class: 'result' });
  const rows = hives.map((hive, i) => {
    const why = reasons(hive, i, entry);
    const inst = hive.installed.find((x) => x.id === entry.id);
    return h('tr', { dataset: { hive: hive.name } },
      h('td', {}, h('label', {}, h('input', { type: 'checkbox', name: 'hive', value: hive.id, disabled: why.length > 0 }), ' ', hive.name), ' ', badge(hive.online ? 'online' : 'offline')),
      h('td', {}, why.length === 0 ? h('span', { class: 'yes' }, 'can run') : h('span', { class: 'no' }, 'cannot: ' + why.join('; '))),
      h('td', {}, inst ? [inst.version + ' installed ', h('button', { type: 'button', class: 'danger', onclick: () => uninstall(hive, entry, status) }, 'Uninstall')] : h('span', { class: 'muted' }, 'not installed')),
    );
  });
  const form = h('form', {},
    h('table', { class: 'grid' }, h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { class: 'muted' }, 'No hive is enrolled yet.')))),
    h('div', { class: 'install' },
    h('label', {}, h('input', { type: 'radio', name: 'target', value: 'hives', checked: true }), ' ticked hives'),
    h('label', {}, h('input', { type: 'radio', name: 'target', value: 'selector' }), ' every hive with labels '),
    h('input', { type: 'text', name: 'labels', placeholder: 'gpu=a100,zone=eu' }),
    h('select', { name: 'os' }, h('option', { value: '' }, 'any OS'), ...entry.platforms.map((p) => h('option', { value: p }, p))),
    h('select', { name: 'arch' }, h('option', { value: '' }, 'any arch'), ...entry.architectures.map((p) => h('option', { value: p }, p))),
    h('select', { name: 'accelerator' }, h('option', { value: '' }, 'any accelerator'), ...['cuda', 'metal', 'rocm', 'none'].map((p) => h('option', { value: p }, p))),
    h('label', {}, 'at most ', h('input', { type: 'number', name: 'max_concurrency', min: 1, placeholder: 'all' }), ' at once'),
    h('label', {}, 'stop after ', h('input', { type: 'number', name: 'max_errors', min: 0, placeholder: '∞' }), ' failures'),
    h('button', { type: 'submit', class: 'primary' }, 'Install'),
  ));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); install(entry, form, status); });
  return h('section', { class: 'card worker', dataset: { worker: entry.id } },
    h('div', { class: 'worker-head' },
      h('h2', {}, entry.name, ' ', h('span', { class: 'muted' }, entry.id + ' ' + entry.version)),
      h('span', {}, h('span', { class: 'chip' }, entry.worker_type), ...entry.platforms.map((p) => h('span', { class: 'chip' }, p)), ...entry.architectures.map((p) => h('span', { class: 'chip' }, p))),
    ),
    h('p', { class: 'muted' }, entry.description),
    form, status);
}

async function install(entry, form, status) {
  const fd = new FormData(form);
  const body = { worker: entry.id };
  if (fd.get('target') === 'selector') {
    const selector = {};
    const labels = String(fd.get('labels') || '').split(',').map((s) => s.trim()).filter(Boolean);
    if (labels.length) selector.labels = Object.fromEntries(labels.map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)]; }));
    for (const k of ['os', 'arch', 'accelerator']) if (fd.get(k)) selector[k] = fd.get(k);
    body.selector = selector;
  } else {
    const hives = fd.getAll('hive');
    if (hives.length === 0) { status.replaceChildren(h('p', { class: 'error' }, 'Tick at least one hive, or choose a selector.')); return; }
    if (hives.length === 1) body.hive = hives[0]; else body.hives = hives;
  }
  const limits = {};
  for (const k of ['max_concurrency', 'max_errors']) if (fd.get(k) !== '' && fd.get(k) !== null) limits[k] = Number(fd.get(k));
  const hasLimits = Object.keys(limits).length > 0;
  if (hasLimits && body.hive) { body.hives = [body.hive]; delete body.hive; }
  let r = await api('POST', '/api/installs', Object.assign({}, body, limits));
  let note = null;
  if (hasLimits && r.status === 400 && /max_(concurrency|errors)|nrecognized/.test(r.body.error || '')) {
    note = 'This edge does not take rollout limits yet; the install was sent to every target at once.';
    r = await api('POST', '/api/installs', body);
  }
  if (!r.ok) { status.replaceChildren(h('p', { class: 'error' }, 'Install refused: ' + (r.body.error || r.status))); return; }
  if (r.body.rollout && !note) { location.href = '/rollouts/' + encodeURIComponent(r.body.rollout.id); return; }
  const jobs = r.body.jobs || [r.body.job];
  if (jobs.length === 1 && !note) { location.href = '/jobs/' + jobs[0].id; return; }
  status.replaceChildren(
    note ? h('p', { class: 'notice' }, note) : null,
    h('p', {}, plural(jobs.length, 'install job') + ' started:'),
    h('ul', {}, jobs.map((j) => h('li', {}, h('a', { href: '/jobs/' + j.id }, j.id), ' on ' + j.hive))));
}

async function uninstall(hive, entry, status) {
  if (!confirm('Uninstall ' + entry.id + ' from ' + hive.name + '?')) return;
  const r = await api('POST', '/api/hives/' + encodeURIComponent(hive.id) + '/uninstall', { worker: entry.id });
  if (r.status === 404 && r.body.code === 'NOT_FOUND') {
    status.replaceChildren(h('p', { class: 'error' }, 'This edge cannot uninstall yet (POST /api/hives/:id/uninstall is not there).'));
    return;
  }
  if (!r.ok) { status.replaceChildren(h('p', { class: 'error' }, 'Uninstall refused: ' + (r.body.error || r.status))); return; }
  if (r.body.job) location.href = '/jobs/' + r.body.job.id;
}

// ── jobs ─────────────────────────────────────────────────────────────────────────────────
async function jobsPage() {
  const form = $('#job-filters');
  const params = new URLSearchParams(location.search);
  const [hv, w] = await Promise.all([api('GET', '/api/hives'), api('GET', '/workers')]);
  const hiveNames = new Map(hv.body.hives.map((x) => [x.id, x.name]));
  form.hive.replaceChildren(h('option', { value: '' }, 'any'), ...hv.body.hives.map((x) => h('option', { value: x.name }, x.name)));
  form.worker.replaceChildren(h('option', { value: '' }, 'any'), ...w.body.workers.map((x) => h('option', { value: x.id }, x.id)));
  for (const k of ['hive', 'worker', 'state']) form[k].value = params.get(k) || '';
  const tbody = $('#jobs tbody');
  const refresh = async () => {
    const q = new URLSearchParams();
    for (const k of ['hive', 'worker', 'state']) if (form[k].value) q.set(k, form[k].value);
    history.replaceState(null, '', q.size ? '?' + q : location.pathname);
    q.delete('worker');
    q.set('limit', form.worker.value ? '1000' : '200');
    const r = await api('GET', '/api/jobs?' + q);
    const jobs = r.body.jobs.filter((j) => !form.worker.value || j.worker === form.worker.value).slice(0, 200);
    tbody.replaceChildren(...jobs.map((j) => h('tr', { dataset: { job: j.id } },
      h('td', {}, h('a', { href: '/jobs/' + j.id }, j.id)),
      h('td', {}, j.kind === 'install' ? j.worker : j.kind + ' ' + j.worker),
      h('td', {}, hiveNames.get(j.hive) || j.hive),
      h('td', {}, badge(shownState(j)), j.cancel_requested && !TERMINAL.has(j.state) ? h('span', { class: 'muted' }, ' cancelling') : null),
      h('td', {}, j.error && j.error.step ? h('span', { class: 'no' }, j.error.step) : (j.step || '')),
      h('td', { title: new Date(j.created_at).toLocaleString() }, ago(j.created_at)),
      h('td', {}, j.rollout ? h('a', { href: '/rollouts/' + j.rollout }, j.rollout) : ''),
    )));
    if (jobs.length === 0) tbody.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No job matches.')));
  };
  form.addEventListener('change', refresh);
  return every(2000, refresh);
}

/** A rollout's job held back for a slot shows as waiting until it is released or ends. */
const shownState = (j) => (j.held && j.state === 'queued' ? 'waiting' : j.state);

// ── rollouts ─────────────────────────────────────────────────────────────────────────────
const finished = (c) => c.succeeded + c.failed + c.cancelled;
function rolloutsPage() {
  const tbody = $('#rollouts tbody');
  return every(2000, async () => {
    const r = await api('GET', '/api/rollouts');
    if (!r.ok) { tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'This edge has no rollouts API.'))); return; }
    tbody.replaceChildren(...r.body.rollouts.map((ro) => h('tr', { dataset: { rollout: ro.id } },
      h('td', {}, h('a', { href: '/rollouts/' + ro.id }, ro.id)),
      h('td', {}, ro.kind + ' ' + ro.worker),
      h('td', {}, badge(ro.state)),
      h('td', {}, finished(ro.counts) + ' of ' + ro.counts.total + ' done · ' + ro.counts.succeeded + ' ok, ' + ro.counts.failed + ' failed'),
      h('td', {}, ago(ro.created_at)))));
    if (r.body.rollouts.length === 0) tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No rollout yet: install on several hives from the catalog.')));
  });
}

function rolloutPage(id) {
  const cancel = $('#cancel-rollout'), refused = $('#rollout-error');
  cancel.addEventListener('click', async () => {
    if (!confirm('Cancel this rollout? Waiting jobs are cancelled and running builds are stopped.')) return;
    cancel.disabled = true;
    const r = await api('POST', '/api/rollouts/' + encodeURIComponent(id) + '/cancel');
    refused.hidden = r.ok || r.status === 409;
    refused.textContent = r.ok ? '' : 'Cancel refused: ' + r.body.error;
    if (!r.ok) cancel.disabled = false;
  });
  return every(2000, async () => {
    const [ro, all, hv] = await Promise.all([
      api('GET', '/api/rollouts/' + encodeURIComponent(id)),
      api('GET', '/api/jobs?limit=1000'),
      api('GET', '/api/hives'),
    ]);
    const names = new Map(hv.body.hives.map((x) => [x.id, x.name]));
    const jobs = all.body.jobs.filter((j) => j.rollout === id);
    if (!ro.ok) { $('#rollout-summary').textContent = ro.body.error || 'no such rollout'; return; }
    const r = ro.body.rollout, c = r.counts;
    $('#rollout-state').replaceChildren(badge(r.state));
    $('#rollout-state').dataset.state = r.state;
    cancel.hidden = r.ended_at !== null;
    if (r.cancel_requested) { cancel.disabled = true; cancel.textContent = 'Cancelled'; }
    $('#rollout-note').textContent = r.kind + ' ' + r.worker + ' on ' + plural(c.total, 'hive') + ' · ' +
      (r.max_concurrency ? 'at most ' + r.max_concurrency + ' at once' : 'all at once') + ' · ' +
      (r.max_errors ? 'stops after ' + r.max_errors + ' failed' : 'never stops on failures') + ' · started ' + ago(r.created_at) +
      (r.cancel_requested ? ' · cancelled by an admin' : '');
    $('#rollout-bar').style.width = (c.total ? (100 * finished(c)) / c.total : 0) + '%';
    $('#rollout-summary').textContent = finished(c) + ' of ' + c.total + ' finished: ' + c.succeeded + ' succeeded, ' + c.failed + ' failed, ' +
      c.cancelled + ' cancelled; ' + c.in_progress + ' in progress, ' + c.waiting + ' waiting for a slot';
    $('#rollout-jobs tbody').replaceChildren(...jobs.map((j) => h('tr', { dataset: { job: j.id } },
      h('td', {}, names.get(j.hive) || j.hive), h('td', {}, h('a', { href: '/jobs/' + j.id }, j.id)),
      h('td', {}, badge(shownState(j))), h('td', {}, j.error && j.error.step
        ? (j.state === 'cancelled' ? h('span', { class: 'muted' }, 'cancelled during ' + j.error.step) : h('span', { class: 'no' }, 'failed at ' + j.error.step))
        : (j.step || '')))));
  });
}

// ── ANSI colours ─────────────────────────────────────────────────────────────────────────
const ESC = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
const stripAnsi = (s) => s.indexOf('\x1b') < 0 ? s : s.replace(ESC, '');
const rgb256 = (n) => {
  if (n < 16) return null;
  if (n >= 232) { const v = 8 + (n - 232) * 10; return 'rgb(' + v + ',' + v + ',' + v + ')'; }
  n -= 16; const c = (x) => (x ? 55 + x * 40 : 0);
  return 'rgb(' + c(Math.floor(n / 36)) + ',' + c(Math.floor(n / 6) % 6) + ',' + c(n % 6) + ')';
};
/** Fills el with the line's text, SGR sequences turned into styled spans; the rest dropped. */
function renderAnsi(el, text) {
  const cr = text.lastIndexOf('\r');
  if (cr >= 0 && cr < text.length - 1) text = text.slice(cr + 1);
  if (text.indexOf('\x1b') < 0) { el.append(text); return; }
  let st = { fg: null, bg: null, b: 0, d: 0, i: 0, u: 0 };
  let at = 0;
  const emit = (s) => {
    if (!s) return;
    if (st.fg === null && st.bg === null && !st.b && !st.d && !st.i && !st.u) { el.append(s); return; }
    const span = document.createElement('span');
    const cls = [];
    if (typeof st.fg === 'number') cls.push('f' + st.fg); else if (st.fg) span.style.color = st.fg;
    if (typeof st.bg === 'number') cls.push('b' + st.bg); else if (st.bg) span.style.background = st.bg;
    if (st.b) cls.push('a-b'); if (st.d) cls.push('a-d'); if (st.i) cls.push('a-i'); if (st.u) cls.push('a-u');
    span.className = cls.join(' ');
    span.textContent = s;
    el.append(span);
  };
  ESC.lastIndex = 0;
  for (let m; (m = ESC.exec(text)); ) {
    emit(text.slice(at, m.index));
    at = ESC.lastIndex;
    if (m[2] !== 'm') continue;
    const p = (m[1] || '0').split(';').map((x) => Number(x) || 0);
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === 0) st = { fg: null, bg: null, b: 0, d: 0, i: 0, u: 0 };
      else if (c === 1) st.b = 1; else if (c === 2) st.d = 1; else if (c === 3) st.i = 1; else if (c === 4) st.u = 1;
      else if (c === 22) st.b = st.d = 0; else if (c === 23) st.i = 0; else if (c === 24) st.u = 0;
      else if (c >= 30 && c <= 37) st.fg = c - 30; else if (c >= 90 && c <= 97) st.fg = c - 82; else if (c === 39) st.fg = null;
      else if (c >= 40 && c <= 47) st.bg = c - 40; else if (c >= 100 && c <= 107) st.bg = c - 92; else if (c === 49) st.bg = null;
      else if ((c === 38 || c === 48) && p[i + 1] === 5) { const n = p[i + 2] || 0; const v = n < 16 ? n : rgb256(n); if (c === 38) st.fg = v; else st.bg = v; i += 2; }
      else if ((c === 38 || c === 48) && p[i + 1] === 2) { const v = 'rgb(' + (p[i + 2] || 0) + ',' + (p[i + 3] || 0) + ',' + (p[i + 4] || 0) + ')'; if (c === 38) st.fg = v; else st.bg = v; i += 4; }
    }
  }
  emit(text.slice(at));
}

// ── job page: the log viewer ─────────────────────────────────────────────────────────────
/** Line kinds: 0 stdout, 1 stderr, 2 step start, 3 step end, 4 step failed. */
function logViewer() {
  const box = $('#log'), spacer = $('#log-spacer'), rowsEl = $('#log-rows'), jump = $('#jump-end');
  const ROW = 16;
  const texts = [];
  let kinds = new Uint8Array(4096);
  let n = 0, follow = true, queued = false, painted = -1, gen = 0, hits = [], hitSet = new Set(), cur = -1, query = '';
  const pool = [];
  const onCount = [];
  const paint = () => { if (!queued) { queued = true; requestAnimationFrame(render); } };
  function push(text, kind) {
    if (n === kinds.length) { const k = new Uint8Array(n * 2); k.set(kinds); kinds = k; }
    texts.push(text);
    kinds[n] = kind;
    if (query && stripAnsi(text).toLowerCase().includes(query)) { hits.push(n); hitSet.add(n); }
    n++;
  }
  function fill(row, i) {
    row.textContent = '';
    row.className = 'ln k' + kinds[i] + (i === cur ? ' cur' : hitSet.has(i) ? ' hit' : '');
    const num = document.createElement('span');
    num.className = 'n';
    num.textContent = String(i + 1);
    row.append(num);
    renderAnsi(row, texts[i]);
    row._i = i; row._g = gen;
  }
  // Chromium cannot lay out an element much taller than 33,554,428 px: past maxPx the scroll
  // range is kept at maxPx and mapped linearly onto the lines.
  const maxPx = window.__rbeeMaxPx || 15000000;
  const scrollRange = () => Math.min(n * ROW, maxPx);
  /** The line (fractional) at the top of the view for a scroll position, and the reverse. */
  function lineAt(top) {
    if (n * ROW <= maxPx) return top / ROW;
    const maxTop = scrollRange() - box.clientHeight, maxLine = n - box.clientHeight / ROW;
    return maxTop > 0 ? (top / maxTop) * maxLine : 0;
  }
  function topFor(line) {
    if (n * ROW <= maxPx) return line * ROW;
    const maxTop = scrollRange() - box.clientHeight, maxLine = n - box.clientHeight / ROW;
    return maxLine > 0 ? (line / maxLine) * maxTop : 0;
  }
  function render() {
    queued = false;
    if (painted !== n) { spacer.style.height = scrollRange() + 'px'; painted = n; for (const f of onCount) f(n); }
    if (follow) box.scrollTop = box.scrollHeight;
    const top = box.scrollTop, height = box.clientHeight;
    const exact = lineAt(top);
    const first = Math.max(0, Math.floor(exact) - 4);
    const last = Math.min(n, Math.ceil(exact + height / ROW) + 4);
    rowsEl.style.transform = 'translateY(' + (top - (exact - first) * ROW) + 'px)';
    while (pool.length < last - first) { const r = document.createElement('div'); r._i = -1; rowsEl.append(r); pool.push(r); }
    for (let j = 0; j < pool.length; j++) {
      const row = pool[j], i = first + j;
      if (i < last) {
        if (row._i !== i || row._g !== gen) fill(row, i);
        if (row.hidden) row.hidden = false;
      } else if (!row.hidden) row.hidden = true;
    }
    jump.hidden = follow;
  }
  const atBottom = () => box.scrollTop + box.clientHeight >= box.scrollHeight - ROW;
  const stopFollowing = () => { if (follow) { follow = false; jump.hidden = false; } };
  box.addEventListener('scroll', () => { follow = atBottom(); paint(); }, { passive: true });
  box.addEventListener('wheel', (e) => { if (e.deltaY < 0) stopFollowing(); }, { passive: true });
  box.addEventListener('keydown', (e) => { if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) stopFollowing(); });
  jump.addEventListener('click', () => { follow = true; paint(); });
  window.addEventListener('resize', paint);
  function goTo(i) {
    follow = false; cur = i; gen++;
    box.scrollTop = Math.max(0, topFor(i - box.clientHeight / ROW / 2));
    paint();
  }
  /** Searches every line in slices of 100,000 so the page never blocks on a long log. */
  let searchRun = 0;
  function search(q) {
    const run = ++searchRun;
    query = q.toLowerCase(); hits = []; hitSet = new Set(); cur = -1; gen++;
    if (!query) { paint(); return Promise.resolve(0); }
    const upto = n;
    return new Promise((done) => {
      let i = 0;
      const slice = () => {
        if (run !== searchRun) return done(-1);
        const end = Math.min(upto, i + 100000);
        for (; i < end; i++) if (stripAnsi(texts[i]).toLowerCase().includes(query)) { hits.push(i); hitSet.add(i); }
        if (i < upto) { setTimeout(slice, 0); return; }
        // lines pushed while searching were checked by push(); keep the list in order
        hits.sort((a, b) => a - b);
        paint();
        done(hits.length);
      };
      slice();
    });
  }
  function step(dir) {
    if (hits.length === 0) return -1;
    let k = hits.indexOf(cur);
    k = k < 0 ? (dir > 0 ? hits.findIndex((x) => x >= Math.floor(lineAt(box.scrollTop))) : hits.length - 1) : (k + dir + hits.length) % hits.length;
    if (k < 0) k = 0;
    goTo(hits[k]);
    return k;
  }
  return { push, paint, search, step, onCount, get count() { return n; }, get hits() { return hits; }, get following() { return follow; } };
}

function jobPage(id) {
  const view = logViewer();
  window.__rbeeLog = view;
  const stateEl = $('#job-state'), outcome = $('#outcome'), stepsEl = $('#steps'), cancel = $('#cancel');
  const steps = new Map();
  let lastSeq = -1, ended = false;
  view.onCount.push((n) => { $('#log-count').textContent = n.toLocaleString('en-US') + ' lines'; });

  api('GET', '/api/jobs/' + encodeURIComponent(id)).then((r) => {
    if (!r.ok) { showOutcome('bad', r.body.error || 'no such job'); return; }
    const j = r.body.job;
    $('#job-title').textContent = (j.kind === 'install' ? 'Install ' : 'Uninstall ') + j.worker;
    $('#job-meta').textContent = id + ' · hive ' + j.hive + ' · created ' + new Date(j.created_at).toLocaleString() + (j.rollout ? ' · rollout ' + j.rollout : '');
    api('GET', '/api/hives/' + encodeURIComponent(j.hive)).then((hr) => {
      if (hr.ok) $('#job-meta').textContent = $('#job-meta').textContent.replace('hive ' + j.hive, 'hive ' + hr.body.name);
    });
  });

  function showOutcome(kind, title, detail, lines) {
    outcome.hidden = false;
    outcome.className = kind;
    outcome.replaceChildren(h('div', {}, h('strong', {}, title), detail ? h('div', {}, detail) : null,
      lines && lines.length ? h('pre', {}, lines.join('\n')) : null));
  }
  function setState(s, final) {
    stateEl.replaceChildren(badge(s.state));
    stateEl.dataset.state = s.state;
    const open = !TERMINAL.has(s.state);
    cancel.hidden = !open;
    cancel.disabled = s.cancel_requested;
    cancel.textContent = s.cancel_requested ? 'Cancelling…' : 'Cancel';
    if (!final) return;
    const e = s.error;
    if (s.state === 'succeeded') showOutcome('ok', 'Succeeded', 'Every step finished; ' + view.count.toLocaleString('en-US') + ' log lines.');
    else if (s.state === 'cancelled') {
      const stopped = s.step || ($('#steps li.failed, #steps li.running') || { dataset: {} }).dataset.step;
      showOutcome('neutral', 'Cancelled' + (stopped ? ' during step ' + stopped : ''), e ? e.message : null);
    }
    else if (s.state === 'delivery_timed_out') showOutcome('bad', 'Never delivered', e ? e.message : 'The hive did not come online before the delivery deadline.');
    else {
      const parts = [];
      if (e && e.step) parts.push('step ' + e.step);
      if (e && e.function) parts.push('in ' + e.function + '()');
      if (e && e.exit_code !== undefined && e.exit_code !== null) parts.push('exit code ' + e.exit_code);
      if (e && e.signal) parts.push('signal ' + e.signal);
      const title = (s.state === 'timed_out' ? 'Timed out' : 'Failed') + (parts.length ? ': ' + parts.join(', ') : '');
      showOutcome('bad', title, e ? e.message : null, e && e.last_lines);
    }
    for (const li of stepsEl.children) if (li.classList.contains('running')) { li.classList.remove('running'); li.classList.add(s.state === 'succeeded' ? 'ok' : 'failed'); }
  }
  function addStep(e) {
    let li = steps.get(e.step);
    if (!li) { li = h('li', { dataset: { step: e.step } }); steps.set(e.step, li); stepsEl.append(li); }
    if (e.phase === 'start') { li._t = e.t; li.className = 'running'; li.textContent = e.step + ' …'; }
    else {
      li.className = e.ok === false ? 'failed' : 'ok';
      li.textContent = e.step + (e.ok === false ? ' ✗' : ' ✓') + (li._t ? ' ' + duration(e.t - li._t) : '');
      if (e.note) li.title = e.note;
    }
  }

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    const r = await api('POST', '/api/jobs/' + encodeURIComponent(id) + '/cancel');
    if (!r.ok && r.status !== 409) showOutcome('bad', 'Cancel refused', r.body.error);
  });

  const es = new EventSource('/api/jobs/' + encodeURIComponent(id) + '/logs');
  es.addEventListener('state', (ev) => setState(JSON.parse(ev.data), false));
  es.addEventListener('logs', (ev) => {
    const lines = JSON.parse(ev.data);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.s <= lastSeq) continue;
      lastSeq = l.s;
      view.push(l.x, l.k === 'e' ? 1 : 0);
    }
    view.paint();
  });
  es.addEventListener('step', (ev) => {
    const e = JSON.parse(ev.data);
    if (e.s <= lastSeq) return;
    lastSeq = e.s;
    view.push('==> ' + e.step + ' ' + e.phase + (e.ok === false ? ' (failed)' : '') + (e.note ? ': ' + e.note : ''), e.phase === 'start' ? 2 : e.ok === false ? 4 : 3);
    addStep(e);
    view.paint();
  });
  es.addEventListener('end', (ev) => { ended = true; es.close(); setState(JSON.parse(ev.data), true); document.body.dataset.ended = '1'; });
  es.addEventListener('error', () => {
    if (ended) return;
    if (es.readyState === EventSource.CLOSED) showOutcome('bad', 'The live log stopped', 'Reload the page to try again.');
  });

  let timer = 0;
  $('#log-search').addEventListener('input', (ev) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const found = await view.search(ev.target.value.trim());
      if (found >= 0) $('#search-count').textContent = ev.target.value.trim() ? found.toLocaleString('en-US') + (found === 1 ? ' match' : ' matches') : '';
      if (found > 0) view.step(1);
    }, 200);
  });
  $('#log-search').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); view.step(ev.shiftKey ? -1 : 1); } });
  $('#search-next').addEventListener('click', () => view.step(1));
  $('#search-prev').addEventListener('click', () => view.step(-1));
}

const page = document.body.dataset.page;
if (page === 'fleet') fleetPage();
else if (page === 'catalog') catalogPage();
else if (page === 'jobs') jobsPage();
else if (page === 'job') jobPage(document.body.dataset.job);
else if (page === 'rollouts') rolloutsPage();
else if (page === 'rollout') rolloutPage(document.body.dataset.rollout);
`;
