// Tollgate dashboard: polls GET /dashboard/data on the admin port every POLL_MS and draws it.
// Plain browser JavaScript, no library, no build step; the page's Content-Security-Policy allows
// only this file and the stylesheet (no inline code), so every element is made with the DOM API
// and every value goes in as text. Test hooks (README, SPEC §4): a route row carries
// data-route="ID", a target row data-target="URL", and their values sit in children marked
// data-field="rps" | "errors" | "p99" | "health" | "circuit" | ...
'use strict';

const POLL_MS = 1000;
const TOKEN_KEY = 'tollgate.adminToken';
const DATA_URL = 'dashboard/data';
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const tokenRequired = document.documentElement.dataset.token === 'required';

// ---- token -------------------------------------------------------------------------------
// Kept in sessionStorage only (gone when the tab closes), sent as a bearer token.

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token) {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the token lives as long as this page does.
  }
  memoryToken = token;
}

let memoryToken = storedToken();

function askForToken(error) {
  $('main').hidden = true;
  $('token-form').hidden = false;
  const line = $('token-error');
  line.hidden = error === null;
  line.textContent = error ?? '';
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token-input').value.trim();
  if (value === '') return;
  storeToken(value);
  $('token-input').value = '';
  $('token-form').hidden = true;
  poll();
});

// ---- polling -----------------------------------------------------------------------------

let timer = null;
let lastGood = 0;

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(poll, POLL_MS);
}

function showMessage(text) {
  const el = $('message');
  el.hidden = text === null;
  el.textContent = text ?? '';
}

async function problemDetail(res) {
  try {
    const body = await res.json();
    return typeof body.detail === 'string' ? body.detail : '';
  } catch {
    return '';
  }
}

async function poll() {
  clearTimeout(timer);
  if (tokenRequired && !memoryToken) {
    askForToken(null);
    return;
  }
  const headers = { accept: 'application/json' };
  if (memoryToken) headers.authorization = `Bearer ${memoryToken}`;
  let res;
  try {
    res = await fetch(DATA_URL, { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  } catch {
    document.body.classList.add('stale');
    showMessage(`Cannot reach the admin API${lastGood ? ` (last figures from ${clock(lastGood)})` : ''}; retrying every ${POLL_MS / 1000} s.`);
    schedule();
    return;
  }
  if (res.status === 401) {
    const had = memoryToken !== null;
    storeToken(null);
    showMessage(null);
    askForToken(had
      ? 'The admin API refused this token (401 Unauthorized): check admin.token in the gateway\'s config and try again.'
      : null);
    return;
  }
  if (res.status === 421) {
    showMessage('The admin API refused this address (421): without admin.token it answers only requests to localhost, 127.0.0.1 or [::1]. Open the page through one of those.');
    schedule();
    return;
  }
  if (!res.ok) {
    const detail = await problemDetail(res);
    showMessage(`The admin API answered ${res.status}${detail ? `: ${detail}` : ''}; retrying.`);
    schedule();
    return;
  }
  let data;
  try {
    data = await res.json();
  } catch {
    showMessage('The admin API sent figures that are not JSON; retrying.');
    schedule();
    return;
  }
  lastGood = data.time;
  showMessage(null);
  document.body.classList.remove('stale');
  $('token-form').hidden = true;
  $('main').hidden = false;
  render(data);
  schedule();
}

// ---- formatting --------------------------------------------------------------------------

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const percent = (ratio) => (ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)} %`);
const ms = (n) => (n === 0 ? '0' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** The child of `row` marked data-field="NAME". */
const field = (row, name) => row.querySelector(`[data-field="${name}"]`);

// ---- charts (plain SVG) ------------------------------------------------------------------

/** A y-axis top that reads well: 1, 2, 5 times a power of ten, at least `max`. */
function niceTop(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function axisNumber(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return n >= 10 || n === 0 ? n.toFixed(0) : n.toFixed(1);
}

/**
 * Draws lines of `series` ([{ values, cls }]) over `times` in a 600x170 viewBox: three grid
 * lines with their values, the time span under the x axis.
 */
function drawChart(target, times, series, spanMs) {
  const W = 600;
  const H = 170;
  const left = 44;
  const right = 8;
  const top = 8;
  const bottom = 22;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const max = niceTop(Math.max(0, ...series.flatMap((s) => s.values)));
  const end = times.length > 0 ? times[times.length - 1] : 0;
  const x = (t) => left + plotW * (1 - Math.min(1, (end - t) / spanMs));
  const y = (v) => top + plotH * (1 - v / max);
  const nodes = [];
  for (let i = 0; i <= 2; i++) {
    const value = (max * i) / 2;
    nodes.push(svg('line', { class: 'grid', x1: left, x2: W - right, y1: y(value), y2: y(value) }));
    const label = svg('text', { class: 'axis', x: left - 6, y: y(value) + 4, 'text-anchor': 'end' });
    label.textContent = axisNumber(value);
    nodes.push(label);
  }
  const ago = spanMs < 120000 ? `−${Math.round(spanMs / 1000)} s` : `−${Math.round(spanMs / 60000)} min`;
  for (const [text, at, anchor] of [[ago, left, 'start'], ['now', W - right, 'end']]) {
    const label = svg('text', { class: 'axis', x: at, y: H - 6, 'text-anchor': anchor });
    label.textContent = text;
    nodes.push(label);
  }
  for (const s of series) {
    if (times.length < 2) continue;
    const points = times.map((t, i) => `${x(t).toFixed(1)},${y(s.values[i] ?? 0).toFixed(1)}`).join(' ');
    nodes.push(svg('polyline', { class: `line ${s.cls}`, points }));
  }
  target.replaceChildren(...nodes);
}

function drawSpark(target, values) {
  const W = 90;
  const H = 22;
  const max = Math.max(1e-9, ...values);
  const step = values.length > 1 ? W / (values.length - 1) : W;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(H - 1 - (H - 2) * (v / max)).toFixed(1)}`).join(' ');
  target.replaceChildren(...(values.length > 1 ? [svg('polyline', { class: 'line', points })] : []));
}

// ---- rendering ---------------------------------------------------------------------------

/** Keeps one row per key in `tbody`, in the order of `items`: made by `make`, filled by `fill`. */
function syncRows(tbody, items, keyOf, keyAttr, make, fill) {
  const existing = new Map();
  for (const row of tbody.children) existing.set(row.getAttribute(keyAttr), row);
  const rows = items.map((item) => {
    const key = keyOf(item);
    let row = existing.get(key);
    if (row === undefined) {
      row = make(item);
      row.setAttribute(keyAttr, key);
    }
    existing.delete(key);
    fill(row, item);
    return row;
  });
  for (const row of existing.values()) row.remove();
  rows.forEach((row, i) => {
    if (tbody.children[i] !== row) tbody.insertBefore(row, tbody.children[i] ?? null);
  });
}

function cells(row, spec) {
  for (const [name, cls] of spec) {
    const td = el('td', cls ? { class: cls } : {});
    if (name !== null) td.setAttribute('data-field', name);
    row.append(td);
  }
}

function makeRouteRow() {
  const row = el('tr');
  cells(row, [['id', 'mono'], ['path', 'mono'], ['upstream', null], ['rps', 'num'], [null, null], ['requests', 'num'], ['errors', 'num'],
    ['errorRate', 'num'], ['p50', 'num'], ['p99', 'num'], ['cacheHitRatio', 'num'], ['rateLimited', 'num'], ['quotaExceeded', 'num']]);
  row.children[4].append(svg('svg', { class: 'spark', viewBox: '0 0 90 22', 'aria-hidden': 'true' }));
  return row;
}

function fillRouteRow(row, r) {
  setText(field(row, 'id'), r.id);
  setText(field(row, 'path'), r.path);
  setText(field(row, 'upstream'), r.upstream ?? '(gateway)');
  setText(field(row, 'rps'), fixed(r.rps, 1));
  setText(field(row, 'requests'), String(r.requests));
  setText(field(row, 'errors'), String(r.errors));
  field(row, 'errors').classList.toggle('has-errors', r.errors > 0);
  setText(field(row, 'errorRate'), percent(r.errorRate));
  setText(field(row, 'p50'), ms(r.p50Ms));
  setText(field(row, 'p99'), ms(r.p99Ms));
  setText(field(row, 'cacheHitRatio'), percent(r.cacheHitRatio));
  setText(field(row, 'rateLimited'), String(r.rateLimited));
  setText(field(row, 'quotaExceeded'), String(r.quotaExceeded));
  drawSpark(row.querySelector('svg.spark'), r.spark);
}

function badge(td, value) {
  let b = td.firstElementChild;
  if (b === null) {
    b = el('span');
    td.append(b);
  }
  b.className = `badge ${value}`;
  setText(b, value);
}

function makeTargetRow() {
  const row = el('tr');
  row.append(el('td', { class: 'mono', 'data-field': 'url' }));
  // The value is the cell's text (its badge's): data-field="health" reads `up` or `down`.
  row.append(el('td', { 'data-field': 'health' }));
  row.append(el('td', { 'data-field': 'circuit' }));
  row.append(el('td', { class: 'num', 'data-field': 'inFlight' }));
  row.append(el('td', { class: 'num', 'data-field': 'connections' }));
  return row;
}

function fillTargetRow(row, t) {
  setText(field(row, 'url'), t.url);
  badge(field(row, 'health'), t.health);
  badge(field(row, 'circuit'), t.circuit);
  setText(field(row, 'inFlight'), String(t.inFlight));
  setText(field(row, 'connections'), String(t.connections));
}

function makeUpstreamTable() {
  const table = el('table');
  const caption = el('caption');
  caption.append(el('span', { 'data-field': 'name' }), ' ', el('span', { class: 'muted', 'data-field': 'summary' }));
  const head = el('thead');
  const tr = el('tr');
  for (const [text, cls] of [['Target', ''], ['Health', ''], ['Circuit', ''], ['In flight', 'num'], ['Connections', 'num']]) tr.append(el('th', cls ? { class: cls } : {}, text));
  head.append(tr);
  table.append(caption, head, el('tbody'));
  return table;
}

function fillUpstreamTable(table, u) {
  setText(field(table, 'name'), u.upstream);
  setText(field(table, 'summary'), `${u.balance} · ${fixed(u.rps, 1)} calls/s · p99 ${ms(u.p99Ms)} ms (1 min)`);
  syncRows(table.tBodies[0], u.targets, (t) => t.url, 'data-target', makeTargetRow, fillTargetRow);
}

function makeWorkerRow() {
  const row = el('tr');
  cells(row, [['index', null], ['state', null], ['generation', 'num'], ['inFlight', 'num'], ['heapUsedMiB', 'num'], ['eventLoopUtilization', 'num']]);
  return row;
}

function fillWorkerRow(row, w) {
  setText(field(row, 'index'), `#${w.index}`);
  badge(field(row, 'state'), w.state);
  setText(field(row, 'generation'), String(w.generation));
  setText(field(row, 'inFlight'), String(w.inFlight));
  setText(field(row, 'heapUsedMiB'), w.heapUsedMiB === null ? '–' : fixed(w.heapUsedMiB, 1));
  setText(field(row, 'eventLoopUtilization'), percent(w.eventLoopUtilization));
}

function render(d) {
  setText($('generation'), `generation ${d.generation}`);
  $('readiness').className = `pill ${d.ready ? 'ok' : 'bad'}`;
  setText($('readiness'), d.ready ? 'ready' : 'not ready');
  setText($('updated'), `updated ${clock(d.time)} · latency and 1-min figures over ${Math.round(d.windowSeconds)} s`);

  const total = (name) => document.querySelector(`[data-total="${name}"]`);
  setText(total('rps'), fixed(d.totals.rps, 1));
  setText(total('errorRate'), percent(d.totals.errorRate));
  setText(total('cacheHitRatio'), percent(d.totals.cacheHitRatio));
  setText(total('rateLimited'), String(d.totals.rateLimited));
  setText(total('quotaExceeded'), String(d.totals.quotaExceeded));
  setText(total('workers'), `${d.totals.workersServing} / ${d.totals.workers}`);

  const times = d.history.map((p) => p.t);
  // The time the history covers, at least a minute (a young gateway's lines start part-way).
  const covered = times.length > 0 ? d.time - times[0] : 0;
  const span = Math.min(d.historyMs, Math.max(60000, covered));
  drawChart($('chart-traffic'), times, [
    { cls: 'rps', values: d.history.map((p) => p.rps) },
    { cls: 'errors', values: d.history.map((p) => p.errors) },
  ], span);
  drawChart($('chart-limits'), times, [
    { cls: 'hits', values: d.history.map((p) => p.cacheHits) },
    { cls: 'limited', values: d.history.map((p) => p.limited) },
  ], span);

  syncRows($('routes'), d.routes, (r) => r.id, 'data-route', makeRouteRow, fillRouteRow);
  syncRows($('upstreams'), d.upstreams, (u) => u.upstream, 'data-upstream', makeUpstreamTable, fillUpstreamTable);
  syncRows($('workers'), d.workers, (w) => String(w.index), 'data-worker', makeWorkerRow, fillWorkerRow);
}

poll();
