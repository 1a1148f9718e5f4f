// DXP console: a plain ES module over the gateway's JSON API (/api/v1, see /openapi.yaml).
// No framework and no build step: views are functions that fetch what they show and build DOM
// nodes with h(); text always goes in as text nodes, never as HTML, so nothing from the chain
// or another party can inject markup. The token lives in sessionStorage: one tab, one identity.

const API = '/api/v1';
const TOKEN = 'dxp.token';
const OPS = ['sum', 'mean', 'count', 'variance', 'stddev', 'histogram', 'regression', 'dot'];
const SVGNS = 'http://www.w3.org/2000/svg';

const state = { token: sessionStorage.getItem(TOKEN) || '', keys: [], roles: [] };
let renderSeq = 0; // a view that finishes loading after the user moved on must not draw

// ---------- small DOM helpers ----------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v; // a textarea's text is its value, not an attribute
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const $ = (sel, root = document) => root.querySelector(sel);

// pick reads a field of an API object by its snake_case name, falling back to the Go name
// (FieldName) for objects the gateway passes through from the chain as they are.
function pick(o, name) {
  if (o == null) return undefined;
  if (o[name] !== undefined) return o[name];
  const pascal = name.split('_').map((w) => (w === 'id' ? 'ID' : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  return o[pascal];
}

// The dataset detail extends its catalog entry, whose columns are "name:type" strings and whose
// policy is one line: the detail's own fields are column_details, proof_summary and policy_file.
function columnsOf(d) {
  const det = pick(d, 'column_details');
  if (Array.isArray(det)) return det;
  return list(pick(d, 'columns')).map((c) => (typeof c === 'string' ? { name: c.split(':')[0], type: c.split(':')[1] } : c));
}
const policyOf = (d) => { const p = pick(d, 'policy_file') ?? pick(d, 'policy'); return p && typeof p === 'object' ? p : {}; };
const policyText = (d) => (typeof pick(d, 'policy') === 'string' ? pick(d, 'policy') : policySummary(policyOf(d)));
const proofsOf = (d) => { const p = pick(d, 'proof_summary') ?? pick(d, 'proofs'); return p && typeof p === 'object' ? p : {}; };
const grantState = (g) => pick(g, 'status') ?? pick(g, 'state');

const list = (v) => (Array.isArray(v) ? v : v == null || v === '' ? [] : [v]);
const enc = encodeURIComponent;

// short abbreviates what is too long to read whole (an address, a digest); ids such as
// ds-0000000000000001 stay whole, as the CLI takes them.
function short(id) {
  const t = String(id ?? '');
  return t.length > 24 ? t.slice(0, 8) + '…' + t.slice(-4) : t;
}

function idCode(id) {
  return h('code', { class: 'id', title: String(id ?? ''), 'data-id': String(id ?? '') }, short(id));
}

function num(n) {
  if (n == null || n === '') return '—';
  const x = Number(n);
  return Number.isFinite(x) && String(n).length < 16 ? x.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(n);
}

function credits(n) {
  return n == null ? '—' : num(n) + ' cr';
}

function badge(text, kind) {
  return h('span', { class: 'badge ' + (kind || '') }, text);
}

function statusBadge(st) {
  const t = String(st ?? '');
  const good = ['listed', 'active', 'completed', 'done', 'passed', 'ok', 'approved'];
  const bad = ['refused', 'rejected', 'revoked', 'failed', 'expired', 'aborted', 'frozen', 'retired'];
  return badge(t || '—', good.includes(t) ? 'good' : bad.includes(t) ? 'bad' : 'neutral');
}

function table(id, headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty', id: id ? id + '-empty' : null }, empty || 'Nothing yet.');
  return h('div', { class: 'table-wrap' },
    h('table', { id },
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows)));
}

function field(label, input, hint) {
  const id = input.id || 'f-' + Math.random().toString(36).slice(2, 9);
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'hint' }, hint) : null);
}

function checks(name, legend, options, checked) {
  return h('fieldset', { class: 'checks', id: name + '-set' }, h('legend', null, legend),
    options.map((o) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name, value: o, checked: checked ? checked.includes(o) : false }), ' ', o)));
}

function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function stat(label, value, id) {
  return h('div', { class: 'stat', id }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), children);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// ---------- problems (RFC 9457) ----------

class Problem extends Error {
  constructor(doc) {
    super(doc.detail || doc.title || 'The request failed.');
    this.doc = doc;
  }
}

function problemNode(p) {
  const d = p instanceof Problem ? p.doc : { title: 'Error', detail: String(p?.message || p), status: 0, code: 0 };
  const code = Number(d.code || 0);
  return h('div', { class: 'problem-doc', 'data-code': code, 'data-status': d.status || 0 },
    h('strong', null, d.title || 'Refused'),
    d.status ? h('span', { class: 'status' }, ' HTTP ' + d.status) : null,
    code ? h('span', { class: 'code' }, ' · chain code ' + code) : null,
    h('p', { class: 'detail' }, d.detail || ''));
}

// showProblem puts a problem in the page's alert region (and, given a form, next to it too).
function showProblem(p, where) {
  const box = $('#problem');
  box.replaceChildren(problemNode(p), h('button', { type: 'button', class: 'quiet', onclick: clearProblem, 'aria-label': 'Dismiss' }, '×'));
  box.hidden = false;
  if (where) {
    let slot = where.querySelector(':scope > .form-problem');
    if (!slot) where.append((slot = h('div', { class: 'form-problem problem', role: 'alert' })));
    slot.replaceChildren(problemNode(p));
    slot.hidden = false;
  }
}

function clearProblem(where) {
  $('#problem').hidden = true;
  $('#problem').replaceChildren();
  const slot = where instanceof Element ? where.querySelector(':scope > .form-problem') : null;
  if (slot) { slot.hidden = true; slot.replaceChildren(); }
}

// ---------- the API ----------

async function api(method, path, { body, query, contentType } = {}) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== '' && v != null) url.searchParams.set(k, v);
  const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json, application/problem+json' };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/json';
    payload = contentType ? body : JSON.stringify(body);
  }
  // Every write carries a fresh idempotency key: the gateway acts at most once per key, so a
  // request retried by the browser after a dropped connection is not done twice.
  if (method !== 'GET') headers['Idempotency-Key'] = newKey();
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload });
  } catch (e) {
    throw new Problem({ title: 'Gateway unreachable', status: 0, code: 0, detail: 'The gateway did not answer; is it still running?' });
  }
  return readResponse(res);
}

async function readResponse(res) {
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { doc = null; }
  if (res.ok) return doc;
  if (!doc || typeof doc !== 'object') doc = { title: res.statusText || 'Error', status: res.status, code: 0, detail: text.trim() || res.statusText };
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    state.token = '';
  }
  throw new Problem(doc);
}

// stream reads a Server-Sent Events stream with the token (EventSource cannot send one) and calls
// onEvent(type, data, id) per event until it returns true. A dropped connection is resumed with
// Last-Event-ID, so no event is lost or seen twice.
async function stream(path, onEvent, finished, signal) {
  let lastId = null;
  let failures = 0;
  for (;;) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' };
    if (lastId != null) headers['Last-Event-ID'] = lastId;
    let res;
    try {
      res = await fetch(API + path, { headers, signal });
    } catch (e) {
      if (signal?.aborted) return;
      if (++failures > 8) throw new Problem({ title: 'Stream lost', status: 0, code: 0, detail: 'The gateway stopped sending progress.' });
      await sleep(400 * failures);
      continue;
    }
    if (!res.ok) await readResponse(res);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ev = { type: 'message', data: [], id: null };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let m;
        while ((m = /\r\n|\r|\n/.exec(buf))) {
          if (m[0] === '\r' && m.index === buf.length - 1) break; // maybe half of a \r\n
          const line = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          if (line === '') {
            if (ev.id != null) lastId = ev.id;
            if (ev.data.length) {
              failures = 0;
              let data;
              try { data = JSON.parse(ev.data.join('\n')); } catch { data = ev.data.join('\n'); }
              if (onEvent(ev.type, data, ev.id)) { reader.cancel().catch(() => {}); return; }
            }
            ev = { type: 'message', data: [], id: null };
            continue;
          }
          if (line.startsWith(':')) continue;
          const c = line.indexOf(':');
          const name = c < 0 ? line : line.slice(0, c);
          let v = c < 0 ? '' : line.slice(c + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (name === 'event') ev.type = v;
          else if (name === 'data') ev.data.push(v);
          else if (name === 'id') ev.id = v;
        }
      }
    } catch (e) {
      if (signal?.aborted) return;
    }
    if (signal?.aborted) return;
    // The stream ended without its last event: the work may have ended while we were not
    // listening, so ask before reconnecting.
    if (finished && (await finished())) return;
    if (++failures > 8) throw new Problem({ title: 'Stream lost', status: 0, code: 0, detail: 'The gateway stopped sending progress.' });
    await sleep(300 * failures);
  }
}

async function allPages(path, query) {
  const items = [];
  let cursor = '';
  do {
    const page = await api('GET', path, { query: { ...query, limit: 500, cursor } });
    items.push(...list(page?.items));
    cursor = page?.next_cursor || '';
  } while (cursor && items.length < 5000);
  return items;
}

// pager renders a page of a list endpoint and a "More" button that appends the next page.
function pager(path, query, headers, rowOf, id, empty) {
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'quiet', id: id + '-more', hidden: true }, 'More');
  const wrap = h('div', { class: 'table-wrap' },
    h('table', { id }, h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))), tbody));
  const emptyNote = h('p', { class: 'empty', hidden: true, id: id + '-empty' }, empty || 'Nothing matches.');
  let cursor = '';
  async function load() {
    more.disabled = true;
    try {
      const page = await api('GET', path, { query: { ...query, limit: 50, cursor } });
      const items = list(page?.items);
      tbody.append(...items.map(rowOf));
      cursor = page?.next_cursor || '';
      more.hidden = !cursor;
      emptyNote.hidden = tbody.children.length > 0;
      wrap.hidden = tbody.children.length === 0;
    } catch (e) {
      showProblem(e);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', load);
  const node = h('div', { class: 'pager' }, wrap, emptyNote, more);
  node.ready = load();
  return node;
}

// ---------- identity and routing ----------

const ROLE_PAGES = {
  owner: [['', 'Dashboard'], ['publish', 'Publish'], ['inbox', 'Grant inbox']],
  buyer: [['', 'Catalog'], ['grants', 'My grants'], ['compute', 'New computation'], ['computations', 'Computations'], ['products', 'Products']],
  regulator: [['', 'Network'], ['audit', 'Audit explorer'], ['holds', 'Holds'], ['proposals', 'Proposals'], ['report', 'Report']],
};
const ROLE_TITLES = { owner: 'Owner', buyer: 'Buyer', regulator: 'Regulator' };

function keysWith(role) {
  return state.keys.filter((k) => list(k.roles).includes(role));
}

// acting returns the key a role's view acts for: the one chosen in this tab, else the first.
function acting(role) {
  const ks = keysWith(role);
  const chosen = sessionStorage.getItem('dxp.as.' + role);
  return ks.find((k) => k.name === chosen) || ks[0];
}

function actingPicker(role) {
  const ks = keysWith(role);
  if (ks.length < 2) return h('p', { class: 'acting' }, 'Acting as ', h('strong', null, ks[0]?.name ?? '—'), ' ', idCode(ks[0]?.address));
  const sel = h('select', { id: 'acting-' + role, onchange: (e) => { sessionStorage.setItem('dxp.as.' + role, e.target.value); render(); } },
    ks.map((k) => h('option', { value: k.name, selected: k.name === acting(role)?.name }, `${k.name} (${short(k.address)})`)));
  return h('p', { class: 'acting' }, h('label', { for: sel.id }, 'Acting as '), sel);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(q || '') };
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function signIn(token) {
  state.token = token;
  const who = await api('GET', '/whoami');
  state.keys = list(who?.keys).map((k) => ({ name: pick(k, 'name'), address: pick(k, 'address'), roles: list(pick(k, 'roles')) }));
  state.roles = ['owner', 'buyer', 'regulator'].filter((r) => keysWith(r).length);
  sessionStorage.setItem(TOKEN, token);
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  state.token = '';
  state.keys = [];
  state.roles = [];
  location.hash = '#/';
  render();
}

function drawChrome(route) {
  const signedIn = !!state.token && state.keys.length > 0;
  $('#signin').hidden = signedIn;
  $('#signout').hidden = !signedIn;
  $('#roles').replaceChildren(...(signedIn ? state.roles.map((r) =>
    h('a', { href: '#/' + r, class: 'role', 'aria-current': route.parts[0] === r ? 'page' : null }, ROLE_TITLES[r])) : []));
  $('#whoami').replaceChildren(...(signedIn ? [h('span', null, state.keys.map((k) => k.name).join(', '))] : []));
}

async function render() {
  const seq = ++renderSeq;
  const route = parseHash();
  const view = $('#view');
  if (state.token && !state.keys.length) {
    try { await signIn(state.token); } catch (e) { state.token = ''; sessionStorage.removeItem(TOKEN); showProblem(e); }
  }
  if (!state.token) { drawChrome(route); view.replaceChildren(); $('#token')?.focus(); return; }
  let role = route.parts[0];
  if (role === 'dataset') {
    drawChrome(route);
    return draw(seq, view, null, () => datasetDetail(route.parts[1]));
  }
  if (!state.roles.includes(role)) {
    role = state.roles[0];
    if (!role) {
      drawChrome(route);
      view.replaceChildren(section('No roles', h('p', null, 'This token acts for keys without an owner, buyer or regulator role.')));
      return;
    }
    history.replaceState(null, '', '#/' + role);
    route.parts = [role];
  }
  drawChrome(route);
  const page = route.parts[1] || '';
  const views = { owner: ownerViews, buyer: buyerViews, regulator: regulatorViews }[role];
  const fn = views[page] || views[''];
  const sub = h('nav', { class: 'subnav', 'aria-label': ROLE_TITLES[role] + ' pages' },
    ROLE_PAGES[role].map(([p, label]) => h('a', { href: `#/${role}${p ? '/' + p : ''}`, 'aria-current': p === page ? 'page' : null }, label)));
  await draw(seq, view, [h('div', { class: 'role-head' }, h('h1', null, ROLE_TITLES[role]), actingPicker(role)), sub], () => fn(route, acting(role)));
}

async function draw(seq, view, head, build) {
  view.setAttribute('aria-busy', 'true');
  try {
    const body = await build();
    if (seq !== renderSeq) return;
    view.replaceChildren();
    append(view, [head, body]);
  } catch (e) {
    if (seq !== renderSeq) return;
    view.replaceChildren();
    append(view, [head]);
    showProblem(e);
    if (e instanceof Problem && e.doc.status === 401) { state.keys = []; drawChrome(parseHash()); view.replaceChildren(); }
  } finally {
    view.removeAttribute('aria-busy');
    view.dataset.ready = String(seq);
  }
}

// ---------- charts (SVG) ----------

// bars draws horizontal bars, one per {label, value}, scaled to the largest magnitude; negative
// values extend left of a zero line (regression coefficients).
function bars(items, { unit = '', title = '' } = {}) {
  const w = 560, rowH = 26, labelW = 150, valueW = 110;
  const values = items.map((i) => Number(i.value));
  const max = Math.max(...values.map(Math.abs), 1e-12);
  const anyNeg = values.some((v) => v < 0);
  const plotW = w - labelW - valueW;
  const zero = labelW + (anyNeg ? plotW / 2 : 0);
  const scale = (anyNeg ? plotW / 2 : plotW) / max;
  const svg = s('svg', { viewBox: `0 0 ${w} ${items.length * rowH + 8}`, class: 'chart bars', role: 'img', 'aria-label': title || 'bar chart' });
  items.forEach((it, i) => {
    const v = values[i];
    const y = 4 + i * rowH;
    const len = Math.max(Math.abs(v) * scale, v === 0 ? 0 : 1.5);
    svg.append(
      s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, it.label),
      s('rect', { x: v < 0 ? zero - len : zero, y: y + 3, width: len, height: rowH - 8, rx: 3, class: v < 0 ? 'bar neg' : 'bar' },
        s('title', null, `${it.label}: ${it.text ?? it.value}${unit}`)),
      s('text', { x: w - 4, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'value' }, `${it.text ?? num(it.value)}${unit}`));
  });
  if (anyNeg) svg.append(s('line', { x1: zero, x2: zero, y1: 0, y2: items.length * rowH + 8, class: 'axis' }));
  return svg;
}

// histogram draws one vertical bar per bucket [from, to) with its count.
function histogram(buckets) {
  const w = 600, hgt = 240, pad = 34;
  const counts = buckets.map((b) => Number(pick(b, 'count')));
  const max = Math.max(...counts, 1);
  const bw = (w - 2 * pad) / Math.max(buckets.length, 1);
  const svg = s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart histogram', role: 'img', 'aria-label': 'histogram of the buckets' });
  buckets.forEach((b, i) => {
    const c = counts[i];
    const bh = (c / max) * (hgt - 2 * pad);
    const x = pad + i * bw;
    svg.append(
      s('rect', { x: x + 2, y: hgt - pad - bh, width: Math.max(bw - 4, 1), height: bh, class: 'bar' },
        s('title', null, `[${pick(b, 'from')}, ${pick(b, 'to')}): ${c}`)),
      s('text', { x: x + bw / 2, y: hgt - pad - bh - 4, 'text-anchor': 'middle', class: 'value' }, num(c)),
      s('text', { x, y: hgt - pad + 14, 'text-anchor': 'middle', class: 'label' }, String(pick(b, 'from'))));
  });
  // Edges sit at the bars' sides: bucket b is [edge b, edge b+1).
  if (buckets.length) svg.append(s('text', { x: w - pad, y: hgt - pad + 14, 'text-anchor': 'middle', class: 'label' }, String(pick(buckets[buckets.length - 1], 'to'))));
  svg.append(s('line', { x1: pad, x2: w - pad, y1: hgt - pad, y2: hgt - pad, class: 'axis' }));
  return svg;
}

// gauge draws a half-circle gauge of spent out of limit (a privacy budget); no limit draws an
// empty track with the amount spent.
function gauge(label, spent, limit) {
  const sp = Number(spent) || 0;
  const lim = Number(limit) || 0;
  const frac = lim > 0 ? Math.min(sp / lim, 1) : 0;
  const r = 50, cx = 60, cy = 60;
  const arc = (f) => {
    const a = Math.PI * (1 - f);
    return `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${cx + r * Math.cos(a)} ${cy - r * Math.sin(a)}`;
  };
  const level = frac >= 0.9 ? 'high' : frac >= 0.6 ? 'mid' : 'low';
  const svg = s('svg', { viewBox: '0 0 120 76', class: 'gauge', role: 'img',
    'aria-label': `${label}: epsilon ${spent} spent of ${lim > 0 ? limit : 'no limit'}` },
  s('path', { d: arc(1), class: 'track' }),
  frac > 0 ? s('path', { d: arc(frac), class: 'fill ' + level }) : null,
  s('text', { x: cx, y: cy - 8, 'text-anchor': 'middle', class: 'big' }, lim > 0 ? Math.round(frac * 100) + '%' : '∞'),
  s('text', { x: cx, y: cy + 12, 'text-anchor': 'middle', class: 'small' }, `ε ${spent ?? 0} / ${lim > 0 ? limit : '—'}`));
  return h('figure', { class: 'gauge-fig' }, svg, h('figcaption', null, label));
}

// committeeDots draws one dot per member with the threshold marked.
function committeeDots(members, threshold, ready) {
  const n = Math.max(members.length, 1);
  const svg = s('svg', { viewBox: `0 0 ${n * 30 + 10} 40`, class: 'dots', role: 'img',
    'aria-label': `${members.length} committee members, threshold ${threshold}, ${ready ? 'ready' : 'not ready'}` });
  members.forEach((m, i) => svg.append(s('circle', { cx: 20 + i * 30, cy: 18, r: 10, class: i < threshold ? 'dot t' : 'dot' },
    s('title', null, String(m)))));
  return svg;
}

// ---------- shared views ----------

async function datasetDetail(id) {
  const d = await api('GET', '/datasets/' + enc(id));
  const cols = columnsOf(d);
  const proofs = proofsOf(d);
  const usage = pick(d, 'usage') || {};
  const verifyOut = h('div', { id: 'verify-out' });
  const verify = h('button', { type: 'button', id: 'verify', onclick: async () => {
    verify.disabled = true;
    try {
      const v = await api('POST', '/datasets/' + enc(id) + '/verify', { body: {} });
      verifyOut.replaceChildren(h('p', null, v.verified ? badge('verified', 'good') : badge('NOT verified', 'bad'),
        ` ${num(v.checked)} checks`), list(v.problems).length ? h('ul', null, list(v.problems).map((p) => h('li', null, p))) : null);
    } catch (e) { showProblem(e); } finally { verify.disabled = false; }
  } }, 'Re-verify proofs now');
  return [
    h('div', { class: 'role-head' }, h('h1', null, pick(d, 'name') || id), h('p', null, idCode(id), ' ', statusBadge(pick(d, 'status')),
      ' ', pick(d, 'verified') ? badge('✓ verified', 'good') : badge('unverified', 'warn'))),
    h('div', { class: 'stats' }, stat('rows', num(pick(d, 'rows'))), stat('price per computation', credits(pick(d, 'price'))),
      stat('computations', num(pick(usage, 'computations'))), stat('grants', num(pick(usage, 'grants'))),
      stat('revenue', credits(pick(d, 'revenue'))), stat('epsilon spent', pick(d, 'epsilon_spent') ?? '0')),
    section('About', h('p', null, pick(d, 'description') || 'No description.'),
      h('dl', { class: 'facts' },
        h('dt', null, 'Holder'), h('dd', null, idCode(pick(d, 'holder'))),
        h('dt', null, 'Registered at height'), h('dd', null, num(pick(d, 'registered'))),
        h('dt', null, 'Commitment'), h('dd', null, idCode(pick(d, 'commitment'))),
        h('dt', null, 'Tags'), h('dd', null, list(pick(d, 'tags')).join(', ') || '—'),
        h('dt', null, 'Policy'), h('dd', null, policyText(d)))),
    section('Columns', table('columns-table', ['Column', 'Type', 'Scale', 'Min', 'Max', 'Proven'],
      cols.map((c) => h('tr', null, h('td', null, pick(c, 'name')), h('td', null, pick(c, 'type')), h('td', null, pick(c, 'scale') ?? 0),
        h('td', null, String(pick(c, 'min'))), h('td', null, String(pick(c, 'max'))),
        h('td', null, pick(c, 'proven') ? badge('✓ proven', 'good') : badge('no', 'warn')))))),
    section('Proofs', h('p', null, `${num(pick(proofs, 'chunks'))} chunk proofs, ${num(pick(proofs, 'tables'))} frequency-table proofs: `,
      pick(proofs, 'verified') ? badge('verified', 'good') : badge('not verified', 'bad'), ' ', pick(proofs, 'verdict') || ''), verify, verifyOut),
  ];
}

function policySummary(p) {
  if (!p || typeof p !== 'object') return String(p ?? 'allows everything; the holder approves each request');
  const parts = [];
  if (list(p.allowed_ops).length) parts.push('ops ' + p.allowed_ops.join(', '));
  if (list(p.allowed_columns).length) parts.push('columns ' + p.allowed_columns.join(', '));
  if (p.min_rows) parts.push('at least ' + p.min_rows + ' rows');
  if (p.epsilon_total) parts.push('ε budget ' + p.epsilon_total);
  if (p.dp_required) parts.push('DP required');
  parts.push(p.approval === 'offer' ? 'offer: approved at once within its terms' : 'holder approves each request');
  return parts.join(' · ');
}

// ---------- owner ----------

const ownerViews = {
  '': ownerDashboard,
  publish: publishWizard,
  inbox: ownerInbox,
  policy: policyEditor,
};

async function ownerDashboard(route, me) {
  const [mine, inbox] = await Promise.all([allPages('/datasets', { holder: me.address }), allPages('/inbox', {})]);
  const details = await Promise.all(mine.map((d) => api('GET', '/datasets/' + enc(d.id)).catch(() => null)));
  let computations = 0, revenue = 0;
  details.forEach((d) => {
    computations += Number(pick(pick(d, 'usage') || {}, 'computations') || 0);
    revenue += Number(pick(d, 'revenue') || 0);
  });
  const rows = mine.map((d, i) => {
    const det = details[i] || {};
    const usage = pick(det, 'usage') || {};
    return h('tr', { 'data-id': d.id },
      h('td', null, h('a', { href: '#/dataset/' + enc(d.id) }, d.name)), h('td', null, idCode(d.id)), h('td', null, num(d.rows)),
      h('td', null, credits(d.price)), h('td', null, statusBadge(d.status)),
      h('td', null, d.verified ? badge('✓ verified', 'good') : badge('unverified', 'warn')),
      h('td', null, num(pick(usage, 'computations'))), h('td', null, num(pick(usage, 'grants'))), h('td', null, credits(pick(det, 'revenue'))),
      h('td', null, h('a', { href: '#/owner/policy/' + enc(d.id) }, 'Policy')));
  });
  const chart = mine.length ? bars(mine.map((d, i) => ({ label: d.name, value: Number(pick(details[i], 'revenue') || 0) })),
    { unit: ' cr', title: 'revenue per dataset' }) : null;
  return [
    h('div', { class: 'stats' }, stat('datasets', num(mine.length), 'stat-datasets'), stat('computations', num(computations), 'stat-computations'),
      stat('revenue', credits(revenue), 'stat-revenue'),
      h('a', { class: 'stat link', href: '#/owner/inbox', id: 'stat-pending' }, h('span', { class: 'stat-value' }, num(inbox.length)), h('span', { class: 'stat-label' }, 'pending requests'))),
    section('Your datasets', table('owner-datasets', ['Name', 'ID', 'Rows', 'Price', 'Status', 'Proofs', 'Computations', 'Grants', 'Revenue', ''], rows,
      'No datasets yet. Publish a CSV to list one.'), h('p', null, h('a', { class: 'button', href: '#/owner/publish' }, 'Publish a dataset'))),
    chart ? section('Revenue per dataset', chart) : null,
  ];
}

// scanCSV reads the header and the values of a CSV the user chose, in the browser, to propose a
// schema: each column's type, decimal places and observed range.
async function scanCSV(file) {
  const limit = 32 << 20;
  const text = await (file.size > limit ? file.slice(0, limit) : file).text();
  const lines = text.split(/\r\n|\n|\r/);
  const header = (lines.shift() || '').split(',').map((x) => x.trim());
  const cols = header.map((name) => ({ name, min: Infinity, max: -Infinity, decimals: 0, bad: 0 }));
  let rows = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    rows++;
    line.split(',').forEach((cell, i) => {
      const c = cols[i];
      if (!c) return;
      const t = cell.trim();
      if (!/^-?\d+(\.\d+)?$/.test(t)) { c.bad++; return; }
      const dot = t.indexOf('.');
      if (dot >= 0) c.decimals = Math.max(c.decimals, t.length - dot - 1);
      const v = Number(t);
      c.min = Math.min(c.min, v);
      c.max = Math.max(c.max, v);
    });
  }
  return { header, cols, rows, partial: file.size > limit };
}

// niceBound rounds a bound outward to one significant digit of 1, 2 or 5, so the public schema
// does not disclose the exact extreme value.
function niceBound(v, up) {
  if (!Number.isFinite(v) || v === 0) return 0;
  const sign = Math.sign(v);
  const a = Math.abs(v);
  const p = 10 ** Math.floor(Math.log10(a));
  const steps = [1, 2, 5, 10];
  const outward = (sign > 0) === up;
  if (outward) return sign * p * steps.find((m) => m * p >= a);
  return sign * p * [...steps].reverse().find((m) => m * p <= a);
}

function publishWizard(route, me) {
  const file = h('input', { type: 'file', id: 'csv-file', accept: '.csv,text/csv', required: true });
  const schemaBody = h('tbody');
  const schemaWrap = h('div', { id: 'schema-step', hidden: true });
  const name = h('input', { id: 'publish-name', required: true, maxlength: 120 });
  const desc = h('textarea', { id: 'publish-description', rows: 2 });
  const price = h('input', { id: 'publish-price', type: 'number', min: 0, step: 1, value: '5', required: true });
  const submit = h('button', { type: 'submit', id: 'publish-submit', disabled: true }, 'Publish');
  const progress = h('section', { class: 'card', id: 'publish-progress', hidden: true, 'aria-live': 'polite' });
  const scanNote = h('p', { class: 'hint', id: 'scan-note' });

  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    if (!name.value) name.value = f.name.replace(/\.csv$/i, '');
    const scan = await scanCSV(f);
    scanNote.textContent = `${scan.rows.toLocaleString('en-US')} rows${scan.partial ? ' in the first 32 MB' : ''}, ${scan.header.length} columns. ` +
      'Bounds are public: they are rounded outward from what the file holds.';
    schemaBody.replaceChildren(...scan.cols.map((c, i) => {
      const type = h('select', { name: 'type', 'aria-label': c.name + ' type' },
        h('option', { value: 'integer', selected: c.decimals === 0 }, 'integer'), h('option', { value: 'decimal', selected: c.decimals > 0 }, 'decimal'));
      const scale = h('input', { name: 'scale', type: 'number', min: 0, max: 18, value: String(c.decimals), 'aria-label': c.name + ' scale' });
      const min = h('input', { name: 'min', inputmode: 'decimal', value: String(c.min <= 0 ? niceBound(c.min, false) : 0), 'aria-label': c.name + ' min', required: true });
      const max = h('input', { name: 'max', inputmode: 'decimal', value: String(niceBound(c.max, true)), 'aria-label': c.name + ' max', required: true });
      const bin = h('input', { name: 'bin', inputmode: 'decimal', placeholder: 'auto', 'aria-label': c.name + ' bin width' });
      return h('tr', { 'data-column': c.name, 'data-index': i },
        h('th', { scope: 'row' }, c.name), h('td', null, type), h('td', null, scale), h('td', null, min), h('td', null, max), h('td', null, bin),
        h('td', { class: 'observed' }, c.bad ? badge(`${c.bad} non-numeric`, 'bad') : `${num(c.min)} … ${num(c.max)}`));
    }));
    schemaWrap.hidden = false;
    submit.disabled = false;
  });

  const form = h('form', { id: 'publish-form', class: 'card' },
    h('h2', null, '1. Choose a CSV'), field('CSV file (header row, then one row per record)', file), scanNote,
    schemaWrap,
    h('h2', null, '3. Name and price'), field('Name', name), field('Description', desc), field('Price per computation (credits)', price),
    h('div', { class: 'actions' }, submit));
  schemaWrap.append(h('h2', null, '2. Schema'),
    h('p', { class: 'hint' }, 'Every value must lie within its column\'s bounds; the chain checks a proof of it. Decimal bounds are in the column\'s units (0.5 for one half).'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'schema-table' },
      h('thead', null, h('tr', null, ['Column', 'Type', 'Decimals', 'Min', 'Max', 'Bin', 'In the file'].map((x) => h('th', { scope: 'col' }, x)))), schemaBody)));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    const columns = [...schemaBody.children].map((tr) => {
      const get = (n) => tr.querySelector(`[name="${n}"]`).value.trim();
      const col = { name: tr.dataset.column, type: get('type'), min: Number(get('min')), max: Number(get('max')) };
      if (col.type === 'decimal') col.scale = Number(get('scale'));
      if (get('bin')) col.bin = Number(get('bin'));
      return col;
    });
    submit.disabled = true;
    progress.hidden = false;
    progress.replaceChildren(h('h2', null, 'Publishing'), h('p', { id: 'publish-line' }, 'Uploading the CSV…'));
    try {
      const up = await api('POST', '/uploads', { body: file.files[0], contentType: 'text/csv' });
      const job = await api('POST', '/publish', { body: { from: me.name, upload: up.id, schema: { columns }, name: name.value.trim(),
        description: desc.value.trim(), price: Number(price.value) } });
      const jobId = typeof job?.job === 'string' ? job.job : pick(job?.job, 'id') || job?.id;
      await followJob(jobId, progress);
    } catch (err) {
      showProblem(err, form);
      progress.append(h('p', { class: 'failed' }, 'Not published.'));
    } finally {
      submit.disabled = false;
    }
  });
  return [form, progress];
}

const STAGES = [['validate', 'Validate rows'], ['commit', 'Commit'], ['publish', 'Prove, encrypt, upload'], ['register', 'Register on chain'], ['check', 'Committee check']];

// followJob shows a publish job's progress from its event stream until it is done or failed.
async function followJob(jobId, panel) {
  const stages = h('ol', { class: 'stages', id: 'publish-stages' }, STAGES.map(([k, label]) => h('li', { 'data-stage': k }, label)));
  const bar = h('progress', { id: 'publish-bar', max: 1, value: 0 });
  const line = h('p', { id: 'publish-line' }, 'Queued.');
  panel.replaceChildren(h('h2', null, 'Publishing ', idCode(jobId)), stages, bar, line);
  let seen = 0;
  let outcome = null;
  await stream('/jobs/' + enc(jobId) + '/events', (type, data) => {
    seen++;
    panel.dataset.events = String(seen);
    const p = pick(data, 'progress') || data || {};
    const stage = pick(p, 'stage');
    if (stage) {
      let passed = true;
      for (const li of stages.children) {
        if (li.dataset.stage === stage) { passed = false; li.className = 'current'; li.setAttribute('aria-current', 'step'); } else {
          li.className = passed ? 'done' : '';
          li.removeAttribute('aria-current');
        }
      }
    }
    const total = Number(pick(p, 'total') || 0);
    if (total > 0) { bar.max = total; bar.value = Math.min(Number(pick(p, 'done') || 0), total); }
    if (pick(p, 'line')) line.textContent = pick(p, 'line');
    if (type === 'done' || type === 'failed') { outcome = { type, data }; return true; }
    return false;
  }, async () => ['done', 'failed'].includes(pick(await api('GET', '/jobs/' + enc(jobId)), 'state')));
  const job = await api('GET', '/jobs/' + enc(jobId));
  if (pick(job, 'state') === 'failed' || outcome?.type === 'failed') {
    const pb = pick(job, 'problem') || pick(outcome?.data, 'problem') || outcome?.data || {};
    throw new Problem({ title: pb.title || 'Publish failed', status: pb.status || 0, code: pb.code || 0, detail: pb.detail || 'The publish failed.' });
  }
  const r = pick(job, 'result') || {};
  for (const li of stages.children) li.className = 'done';
  bar.value = bar.max;
  line.textContent = 'Done.';
  panel.append(h('div', { id: 'publish-done', class: 'done-box', 'data-dataset': pick(r, 'dataset') },
    h('p', null, badge('listed', 'good'), ' Dataset ', h('a', { href: '#/dataset/' + enc(pick(r, 'dataset')) }, idCode(pick(r, 'dataset'))),
      ` registered at height ${num(pick(r, 'height'))}: ${num(pick(r, 'rows'))} rows, ${num(pick(r, 'chunks_proven'))} chunk and ${num(pick(r, 'tables_proven'))} frequency-table proofs verified by the chain, ${num(pick(r, 'ciphertexts'))} ciphertexts.`)));
  panel.dataset.state = 'done';
}

async function ownerInbox(route, me) {
  const items = await allPages('/inbox', {});
  const mine = new Map(keysWith('owner').map((k) => [k.address, k.name]));
  const rows = items.map((g) => {
    const id = pick(g, 'id');
    const holders = list(pick(g, 'holders'));
    const approvals = list(pick(g, 'approvals'));
    const signer = holders.filter((a) => mine.has(a) && !approvals.includes(a)).map((a) => mine.get(a))[0] || me.name;
    const reason = h('input', { 'aria-label': 'Reason for grant ' + id, placeholder: 'reason (optional)', class: 'reason' });
    const act = (action) => async (e) => {
      const btn = e.target;
      btn.disabled = true;
      try {
        await api('POST', `/grants/${enc(id)}/${action}`, { body: { from: signer, reason: reason.value.trim() } });
        render();
      } catch (err) { showProblem(err); btn.disabled = false; }
    };
    return h('tr', { 'data-id': id },
      h('td', null, idCode(id)), h('td', null, idCode(pick(g, 'grantee'))),
      h('td', null, list(pick(g, 'datasets')).map((d) => h('a', { href: '#/dataset/' + enc(d) }, idCode(d)))),
      h('td', null, list(pick(g, 'ops')).join(', ')), h('td', null, list(pick(g, 'columns')).join(', ')),
      h('td', null, num(pick(g, 'uses'))), h('td', null, pick(g, 'purpose') || '—'), h('td', null, String(pick(g, 'epsilon') ?? '0')),
      h('td', null, h('div', { class: 'row-actions' }, reason,
        h('button', { type: 'button', class: 'approve', onclick: act('approve') }, 'Approve'),
        h('button', { type: 'button', class: 'reject danger', onclick: act('reject') }, 'Reject'))));
  });
  return section('Pending grant requests', h('p', { class: 'hint' }, 'Requests for your datasets waiting for your approval. A grant becomes active once every holder approved.'),
    table('inbox-table', ['Grant', 'Buyer', 'Datasets', 'Ops', 'Columns', 'Uses', 'Purpose', 'ε', ''], rows, 'No pending requests.'));
}

async function policyEditor(route, me) {
  const id = route.parts[2];
  if (!id) return section('Policy', h('p', null, 'Choose a dataset on the dashboard.'));
  const d = await api('GET', '/datasets/' + enc(id));
  const p = policyOf(d);
  const cols = columnsOf(d).map((c) => pick(c, 'name'));
  const offer = p.offer || {};
  const inp = (name, value, attrs = {}) => h('input', { name, value: value == null ? '' : String(value), ...attrs });
  const approval = h('select', { name: 'approval' }, h('option', { value: 'required', selected: p.approval !== 'offer' }, 'required: I approve each request'),
    h('option', { value: 'offer', selected: p.approval === 'offer' }, 'offer: approve at once within the terms below'));
  const pooling = h('select', { name: 'pooling' }, ['others', 'never', 'any'].map((x) => h('option', { value: x, selected: (p.pooling || 'others') === x }, x)));
  const form = h('form', { id: 'policy-form', class: 'card' },
    h('h2', null, 'Policy of ', pick(d, 'name') || id),
    h('p', { class: 'hint' }, 'Leave a box empty for no limit. Nothing checked allows every op or column.'),
    checks('allowed_ops', 'Allowed ops', OPS, list(p.allowed_ops)),
    checks('allowed_columns', 'Allowed columns', cols, list(p.allowed_columns)),
    h('div', { class: 'grid' },
      field('Minimum rows an aggregate covers', inp('min_rows', p.min_rows, { type: 'number', min: 0 })),
      field('Lifetime ε budget', inp('epsilon_total', p.epsilon_total, { inputmode: 'decimal' })),
      field('Most ε per query', inp('epsilon_per_query', p.epsilon_per_query, { inputmode: 'decimal' })),
      field('Purposes (comma-separated)', inp('purposes', list(p.purposes).join(', '))),
      field('Pooling with other datasets', pooling),
      field('Expires at (RFC 3339)', inp('expires_at', p.expires_at, { placeholder: '2030-01-01T00:00:00Z' }))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'dp_required', checked: !!p.dp_required }), ' Every computation must spend ε (differential privacy)'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'dp_when_pooled', checked: !!p.dp_when_pooled }), ' Pooled computations must spend ε'),
    h('fieldset', null, h('legend', null, 'Approval'), field('Mode', approval),
      h('div', { class: 'grid' },
        field('Offer: most uses', inp('offer_max_uses', offer.max_uses, { type: 'number', min: 0 })),
        field('Offer: price per use', inp('offer_price_per_use', offer.price_per_use, { type: 'number', min: 0 })),
        field('Offer: ε', inp('offer_epsilon', offer.epsilon, { inputmode: 'decimal' })),
        field('Offer: longest duration', inp('offer_max_duration', offer.max_duration, { placeholder: '720h' })))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save policy')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    const v = (n) => form.elements[n].value.trim();
    const policy = {};
    const ops = checkedValues(form, 'allowed_ops');
    const cs = checkedValues(form, 'allowed_columns');
    if (ops.length) policy.allowed_ops = ops;
    if (cs.length) policy.allowed_columns = cs;
    if (v('min_rows')) policy.min_rows = Number(v('min_rows'));
    if (v('epsilon_total')) policy.epsilon_total = Number(v('epsilon_total'));
    if (v('epsilon_per_query')) policy.epsilon_per_query = Number(v('epsilon_per_query'));
    if (v('purposes')) policy.purposes = v('purposes').split(',').map((x) => x.trim()).filter(Boolean);
    policy.pooling = v('pooling');
    if (v('expires_at')) policy.expires_at = v('expires_at');
    if (form.elements.dp_required.checked) policy.dp_required = true;
    if (form.elements.dp_when_pooled.checked) policy.dp_when_pooled = true;
    policy.approval = v('approval');
    if (policy.approval === 'offer') {
      policy.offer = { max_uses: Number(v('offer_max_uses') || 0), price_per_use: Number(v('offer_price_per_use') || 0) };
      if (v('offer_epsilon')) policy.offer.epsilon = Number(v('offer_epsilon'));
      if (v('offer_max_duration')) policy.offer.max_duration = v('offer_max_duration');
    }
    try {
      await api('PUT', '/datasets/' + enc(id) + '/policy', { body: { from: me.name, policy } });
      form.append(h('p', { class: 'saved', role: 'status' }, 'Saved on chain.'));
    } catch (err) { showProblem(err, form); }
  });

  const meta = h('form', { id: 'listing-form', class: 'card' }, h('h2', null, 'Listing'),
    field('Description', h('textarea', { name: 'description', rows: 2, value: pick(d, 'description') || '' })),
    field('Tags (comma-separated)', h('input', { name: 'tags', value: list(pick(d, 'tags')).join(', ') })),
    field('Price per computation (credits)', h('input', { name: 'price', type: 'number', min: 0, value: String(pick(d, 'price') ?? 0) })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save listing')));
  meta.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(meta);
    try {
      await api('PATCH', '/datasets/' + enc(id), { body: { from: me.name, description: meta.elements.description.value.trim(),
        tags: meta.elements.tags.value.split(',').map((x) => x.trim()).filter(Boolean), price: Number(meta.elements.price.value) } });
      meta.append(h('p', { class: 'saved', role: 'status' }, 'Saved on chain.'));
    } catch (err) { showProblem(err, meta); }
  });
  return [form, meta];
}

// ---------- buyer ----------

const buyerViews = {
  '': buyerCatalog,
  request: grantRequestForm,
  grants: buyerGrants,
  compute: computeForm,
  computations: buyerComputations,
  result: computationDetail,
  products: buyerProducts,
};

function buyerCatalog(route) {
  const q = route.query;
  const form = h('form', { id: 'catalog-search', class: 'card search', role: 'search' },
    field('Search', h('input', { name: 'q', type: 'search', value: q.get('q') || '', placeholder: 'name, description, column' })),
    field('Tag', h('input', { name: 'tag', value: q.get('tag') || '' })),
    field('Column', h('input', { name: 'column', value: q.get('column') || '' })),
    field('Most credits', h('input', { name: 'max_price', type: 'number', min: 0, value: q.get('max_price') || '' })),
    field('Fewest rows', h('input', { name: 'min_rows', type: 'number', min: 0, value: q.get('min_rows') || '' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value.trim()) params.set(el.name, el.value.trim());
    go('#/buyer?' + params.toString());
  });
  const query = Object.fromEntries([...q.entries()]);
  const results = pager('/datasets', query, ['Dataset', 'Proofs', 'Holder', 'Rows', 'Price', 'Columns', 'Terms', ''], (d) =>
    h('tr', { 'data-id': d.id },
      h('td', null, h('a', { href: '#/dataset/' + enc(d.id) }, d.name), h('br'), idCode(d.id), ' ', d.status !== 'listed' ? statusBadge(d.status) : null),
      h('td', null, d.verified ? badge('✓ verified', 'good verified') : badge('unverified', 'warn')),
      h('td', null, idCode(d.holder)), h('td', null, num(d.rows)), h('td', null, credits(d.price)),
      h('td', null, list(d.columns).map((c) => h('span', { class: 'chip' }, c))),
      h('td', { class: 'policy' }, d.approval === 'offer' ? badge('instant offer', 'good') : null, ' ', d.policy || ''),
      h('td', null, h('a', { class: 'button small', href: '#/buyer/request/' + enc(d.id) }, 'Request grant'))),
  'catalog-table', 'No dataset matches.');
  return [form, section('Catalog', results)];
}

async function grantRequestForm(route, me) {
  const ids = (route.parts[2] || '').split(',').filter(Boolean);
  if (!ids.length) return section('Request a grant', h('p', null, 'Choose a dataset in the catalog.'));
  const ds = await Promise.all(ids.map((id) => api('GET', '/datasets/' + enc(id))));
  const cols = [...new Set(ds.flatMap((d) => columnsOf(d).map((c) => pick(c, 'name'))))];
  const allowed = ds.map((d) => list(policyOf(d).allowed_ops)).filter((x) => x.length);
  const ops = allowed.length ? OPS.filter((o) => allowed.every((a) => a.includes(o))) : OPS;
  const form = h('form', { id: 'grant-form', class: 'card' },
    h('h2', null, 'Request a grant'),
    h('p', null, 'Over ', ds.map((d) => h('span', { class: 'chip' }, pick(d, 'name'))), ' — ', ds.map(policyText).join('; ')),
    checks('ops', 'Operations', ops, ['mean'].filter((o) => ops.includes(o))),
    checks('columns', 'Columns', cols, []),
    h('div', { class: 'grid' },
      field('Uses', h('input', { name: 'uses', type: 'number', min: 1, value: '5', required: true })),
      field('Purpose', h('input', { name: 'purpose', placeholder: 'research' })),
      field('Privacy budget ε', h('input', { name: 'epsilon', inputmode: 'decimal', placeholder: '0 (exact answers)' })),
      field('Expires in', h('select', { name: 'expires_in' }, [['', 'never'], ['1h', '1 hour'], ['24h', '1 day'], ['168h', '1 week'], ['720h', '30 days']]
        .map(([v, l]) => h('option', { value: v, selected: v === '720h' }, l))))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'grant-submit' }, 'Request')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    const body = { from: me.name, datasets: ids, ops: checkedValues(form, 'ops'), columns: checkedValues(form, 'columns'),
      uses: Number(form.elements.uses.value), purpose: form.elements.purpose.value.trim() };
    if (form.elements.epsilon.value.trim()) body.epsilon = form.elements.epsilon.value.trim();
    if (form.elements.expires_in.value) body.expires_in = form.elements.expires_in.value;
    try {
      const g = await api('POST', '/grants', { body });
      form.replaceChildren(h('h2', null, 'Grant requested'),
        h('p', { id: 'grant-result', 'data-id': pick(g, 'id'), 'data-state': grantState(g) }, 'Grant ', idCode(pick(g, 'id')), ' is ', statusBadge(grantState(g)),
          grantState(g) === 'active' ? '. You can compute now.' : '. The holders approve it in their inbox.'),
        h('p', null, h('a', { class: 'button', href: '#/buyer/grants' }, 'My grants')));
    } catch (err) { showProblem(err, form); }
  });
  return form;
}

async function buyerGrants(route, me) {
  const items = await allPages('/grants', { grantee: me.address });
  const rows = items.map((g) => {
    const id = pick(g, 'id');
    const st = grantState(g);
    return h('tr', { 'data-id': id, 'data-state': st },
      h('td', null, idCode(id)), h('td', null, list(pick(g, 'datasets')).map((d) => h('a', { href: '#/dataset/' + enc(d) }, idCode(d)))),
      h('td', null, list(pick(g, 'ops')).join(', ')), h('td', null, list(pick(g, 'columns')).join(', ')),
      h('td', null, `${num(pick(g, 'used'))} / ${num(pick(g, 'uses'))}`), h('td', null, `${pick(g, 'epsilon_spent') ?? 0} / ${pick(g, 'epsilon') ?? 0}`),
      h('td', null, statusBadge(st), pick(g, 'reason') ? h('small', null, ' ' + pick(g, 'reason')) : null),
      h('td', null, st === 'active' ? h('a', { class: 'button small', href: '#/buyer/compute/' + enc(id) }, 'Compute') : null));
  });
  return section('My grants', table('grants-table', ['Grant', 'Datasets', 'Ops', 'Columns', 'Used', 'ε spent', 'State', ''], rows, 'No grants yet: request one from the catalog.'));
}

async function computeForm(route, me) {
  const grants = (await allPages('/grants', { grantee: me.address })).filter((g) => grantState(g) === 'active');
  if (!grants.length) return section('New computation', h('p', { class: 'empty' }, 'No active grant. Request one from the catalog; its holders approve it.'));
  const chosen = route.parts[2] || pick(grants[0], 'id');
  const grantSel = h('select', { name: 'grant', id: 'compute-grant' }, grants.map((g) =>
    h('option', { value: pick(g, 'id'), selected: pick(g, 'id') === chosen }, `${short(pick(g, 'id'))}: ${list(pick(g, 'ops')).join(', ')} on ${list(pick(g, 'columns')).join(', ')}`)));
  const opSel = h('select', { name: 'op', id: 'compute-op' });
  const colSel = h('select', { name: 'column', id: 'compute-column' });
  const xs = h('div', { id: 'compute-x' });
  const edges = h('input', { name: 'edges', id: 'compute-edges', placeholder: '0,10,20,50' });
  const weights = h('input', { type: 'file', name: 'weights', id: 'compute-weights', accept: '.txt,.csv,text/plain,text/csv' });
  const eps = h('input', { name: 'epsilon', id: 'compute-epsilon', inputmode: 'decimal', placeholder: '0: exact' });
  const delta = h('input', { name: 'delta', id: 'compute-delta', inputmode: 'decimal', placeholder: '0: Laplace noise' });
  const quoteBox = h('div', { id: 'quote', 'aria-live': 'polite' });
  const run = h('button', { type: 'button', id: 'compute-run', disabled: true }, 'Run computation');
  const status = h('section', { class: 'card', id: 'compute-status', hidden: true, 'aria-live': 'polite' });
  const edgesField = field('Histogram edges (on the column\'s bins)', edges);
  const weightsField = field('Weights (dot product)', weights, 'A text file, one integer weight per row of the grant\'s datasets, in their order. They are sealed to the committee\'s members, who check them before they compute; the datasets\' holders never see them.');
  const xField = h('fieldset', { class: 'checks' }, h('legend', null, 'Regression features (x)'), xs);
  const colField = field('Column', colSel);
  let quoted = null;

  const grantOf = () => grants.find((g) => pick(g, 'id') === grantSel.value);
  function syncOps() {
    const g = grantOf();
    const prev = opSel.value;
    opSel.replaceChildren(...list(pick(g, 'ops')).map((o) => h('option', { value: o, selected: o === prev }, o)));
    colSel.replaceChildren(...list(pick(g, 'columns')).map((c) => h('option', { value: c }, c)));
    xs.replaceChildren(...list(pick(g, 'columns')).map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'x', value: c }), ' ', c)));
    syncOp();
  }
  function syncOp() {
    edgesField.hidden = opSel.value !== 'histogram';
    weightsField.hidden = opSel.value !== 'dot';
    xField.hidden = opSel.value !== 'regression';
    colField.querySelector('label').textContent = opSel.value === 'regression' ? 'Target (y)' : 'Column';
    invalidate();
  }
  function invalidate() { quoted = null; run.disabled = true; quoteBox.replaceChildren(); }
  grantSel.addEventListener('change', syncOps);
  opSel.addEventListener('change', syncOp);

  const form = h('form', { id: 'compute-form', class: 'card' },
    h('h2', null, 'New computation'),
    h('div', { class: 'grid' }, field('Grant', grantSel), field('Operation', opSel), colField),
    xField, edgesField, weightsField,
    h('div', { class: 'grid' }, field('Privacy ε (noise)', eps), field('δ (Gaussian noise)', delta)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'compute-quote' }, 'Get price'), run),
    quoteBox);
  form.addEventListener('input', (e) => { if (e.target !== grantSel && e.target !== opSel) invalidate(); });
  syncOps();

  const request = async () => {
    const body = { from: me.name, grant: grantSel.value, op: opSel.value };
    body.columns = opSel.value === 'regression' ? [...checkedValues(form, 'x'), colSel.value] : [colSel.value];
    if (opSel.value === 'histogram') body.edges = edges.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (opSel.value === 'dot') {
      const f = weights.files[0];
      if (!f) throw new Error('Choose a weights file: one weight per row of the grant\'s datasets.');
      body.weights = (await f.text()).split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
    }
    if (eps.value.trim()) body.epsilon = eps.value.trim();
    if (delta.value.trim()) body.delta = delta.value.trim();
    return body;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    invalidate();
    try {
      const body = await request();
      const q = await api('POST', '/computations/quote', { body });
      const refused = pick(q, 'refused');
      quoteBox.replaceChildren(h('dl', { class: 'facts quote', id: 'quote-facts' },
        h('dt', null, 'Price'), h('dd', { id: 'quote-price' }, credits(pick(q, 'price'))),
        h('dt', null, 'Rows'), h('dd', null, num(pick(q, 'rows'))),
        h('dt', null, 'ε spent'), h('dd', { id: 'quote-epsilon' }, String(pick(q, 'epsilon') || '0')),
        h('dt', null, 'δ'), h('dd', null, String(pick(q, 'delta') || '0')),
        h('dt', null, 'Datasets'), h('dd', null, list(pick(q, 'datasets')).map((d) => idCode(d)))),
      refused ? h('div', { class: 'problem' }, problemNode(new Problem(refused))) : h('p', { class: 'hint' }, 'Nothing is charged until you run it.'));
      if (!refused) { quoted = JSON.stringify(body); run.disabled = false; run.focus(); }
    } catch (err) { showProblem(err, form); }
  });

  run.addEventListener('click', async () => {
    if (!quoted) return;
    clearProblem(form);
    run.disabled = true;
    status.hidden = false;
    status.replaceChildren(h('h2', null, 'Computation'), h('p', null, 'Submitting the request…'));
    try {
      const c = await api('POST', '/computations', { body: JSON.parse(quoted) });
      quoted = null;
      await followComputation(pick(c, 'id'), status);
    } catch (err) {
      showProblem(err, status);
      status.dataset.state = 'refused';
      run.disabled = false;
    }
  });
  return [form, status];
}

const COMPUTE_STAGES = [['requested', 'Committee evaluates on ciphertexts'], ['switching', 'Key switch to your key'], ['decrypting', 'Gateway decrypts with your key'], ['done', 'Done']];

async function followComputation(id, panel) {
  const stages = h('ol', { class: 'stages', id: 'compute-stages' }, COMPUTE_STAGES.map(([k, label]) => h('li', { 'data-stage': k }, label)));
  const line = h('p', { id: 'compute-line' }, 'Requested on chain.');
  panel.dataset.id = id;
  panel.replaceChildren(h('h2', null, 'Computation ', idCode(id)), stages, line);
  let last = null;
  await stream('/computations/' + enc(id) + '/events', (type, data) => {
    const st = pick(data, 'stage') || pick(data, 'status');
    if (st) {
      let passed = true;
      for (const li of stages.children) {
        if (li.dataset.stage === st) { passed = false; li.className = 'current'; } else li.className = passed ? 'done' : '';
      }
    }
    const label = COMPUTE_STAGES.find(([k]) => k === st)?.[1];
    if (pick(data, 'line') || pick(data, 'detail')) line.textContent = pick(data, 'line') || pick(data, 'detail');
    else if (label) line.textContent = label + (st === 'done' ? '.' : '…');
    if (type === 'done' || type === 'failed') { last = { type, data }; return true; }
    return false;
  }, async () => ['done', 'failed'].includes(pick(await api('GET', '/computations/' + enc(id)), 'stage')));
  const c = await api('GET', '/computations/' + enc(id));
  const st = pick(c, 'status');
  if (last?.type === 'failed' || pick(c, 'stage') === 'failed' || !pick(c, 'result')) {
    const pb = pick(c, 'problem') || pick(last?.data, 'problem') || last?.data || {};
    throw new Problem({ title: pb.title || 'Computation ' + (st || 'failed'), status: pb.status || 0, code: pb.code || 0,
      detail: pb.detail || pick(c, 'reason') || `The computation ended ${st || 'without a result'}.` });
  }
  for (const li of stages.children) li.className = 'done';
  line.textContent = 'Completed.';
  panel.append(resultView(c));
  panel.dataset.state = 'done';
}

function resultView(c) {
  const r = pick(c, 'result');
  if (!r) return h('p', { class: 'hint' }, 'The result is shown only to the buyer who ran it.');
  const op = pick(r, 'op');
  const buckets = list(pick(r, 'buckets'));
  const coefs = list(pick(r, 'coefficients'));
  return h('div', { class: 'result', id: 'compute-result' },
    h('p', { class: 'result-line' }, h('span', { class: 'result-op' }, `${op}(${pick(r, 'column')})`), ' = ',
      h('output', { class: 'result-value', id: 'result-value' }, pick(r, 'result'))),
    h('p', { class: 'hint' }, `over ${num(pick(r, 'rows'))} rows of ${list(pick(r, 'datasets')).length} dataset(s); price ${credits(pick(r, 'price'))}`,
      pick(r, 'mechanism') ? `; ${pick(r, 'mechanism')} noise, ε ${pick(r, 'epsilon')}${pick(r, 'delta') ? ', δ ' + pick(r, 'delta') : ''}` : '; exact',
      pick(r, 'product') ? '; product ' : '', pick(r, 'product') ? idCode(pick(r, 'product')) : null),
    buckets.length ? h('figure', null, histogram(buckets), h('figcaption', null, 'Counts per bucket')) : null,
    buckets.length ? table('buckets-table', ['From', 'To', 'Count'], buckets.map((b) => h('tr', null, h('td', null, pick(b, 'from')), h('td', null, pick(b, 'to')), h('td', null, pick(b, 'count'))))) : null,
    coefs.length ? h('figure', null, bars(coefs.map((x) => ({ label: pick(x, 'name'), value: Number(pick(x, 'value')), text: pick(x, 'value') })), { title: 'regression coefficients' }),
      h('figcaption', null, 'Regression coefficients (in the columns\' units)')) : null,
    coefs.length ? table('coefficients-table', ['Term', 'Coefficient'], coefs.map((x) => h('tr', null, h('td', null, pick(x, 'name')), h('td', null, h('code', null, pick(x, 'value')))))) : null);
}

function buyerComputations(route, me) {
  return section('Computations', pager('/computations', { buyer: me.address }, ['Computation', 'Grant', 'Op', 'Columns', 'Price', 'Status', 'Height'], (c) =>
    h('tr', { 'data-id': pick(c, 'id') },
      h('td', null, h('a', { href: '#/buyer/result/' + enc(pick(c, 'id')) }, idCode(pick(c, 'id')))), h('td', null, idCode(pick(c, 'grant'))),
      h('td', null, pick(c, 'op')), h('td', null, list(pick(c, 'columns')).join(', ')), h('td', null, credits(pick(c, 'price'))),
      h('td', null, statusBadge(pick(c, 'status'))), h('td', null, num(pick(c, 'height')))), 'computations-table', 'No computations yet.'));
}

async function computationDetail(route) {
  const id = route.parts[2];
  const c = await api('GET', '/computations/' + enc(id));
  return h('section', { class: 'card' }, h('h2', null, 'Computation ', idCode(id)), h('p', null, `${pick(c, 'op')}(${list(pick(c, 'columns')).join(', ')}) under grant `, idCode(pick(c, 'grant')), ' ',
    statusBadge(pick(c, 'status'))), resultView(c));
}

function buyerProducts(route, me) {
  const act = (id, action) => {
    const to = h('input', { 'aria-label': `${action} product ${id} to`, placeholder: 'key name or address', class: 'reason' });
    return h('span', { class: 'row-actions' }, to, h('button', { type: 'button', class: 'small', onclick: async (e) => {
      e.target.disabled = true;
      try { await api('POST', `/products/${enc(id)}/${action}`, { body: { from: me.name, to: to.value.trim() } }); render(); } catch (err) { showProblem(err); e.target.disabled = false; }
    } }, action === 'transfer' ? 'Transfer' : 'License'));
  };
  return section('Products', h('p', { class: 'hint' }, 'Every completed computation issued you a product with its lineage on chain.'),
    pager('/products', { holder: me.address }, ['Product', 'Op', 'Columns', 'Rows', 'Datasets', 'Issued', 'State', 'Transfer', 'License'], (p) => {
      const id = pick(p, 'id');
      return h('tr', { 'data-id': id }, h('td', null, idCode(id)), h('td', null, pick(p, 'op')), h('td', null, list(pick(p, 'columns')).join(', ')),
        h('td', null, num(pick(p, 'rows'))), h('td', null, list(pick(p, 'datasets')).map(idCode)), h('td', null, num(pick(p, 'issued'))),
        h('td', null, pick(p, 'frozen') ? badge('frozen', 'bad') : badge('usable', 'good')), h('td', null, act(id, 'transfer')), h('td', null, act(id, 'license')));
    }, 'products-table', 'No products yet.'));
}

// ---------- regulator ----------

const regulatorViews = {
  '': regulatorHealth,
  audit: auditExplorer,
  holds: holdsView,
  proposals: proposalsView,
  report: reportView,
};

async function regulatorHealth() {
  const [st, budgets] = await Promise.all([api('GET', '/status'), api('GET', '/audit/budgets').catch((e) => { showProblem(e); return null; })]);
  const cm = pick(st, 'committee') || {};
  const members = Array.isArray(pick(cm, 'members')) ? pick(cm, 'members') : Array.from({ length: Number(pick(cm, 'members') || 0) }, (_, i) => 'member ' + (i + 1));
  const threshold = Number(pick(cm, 'threshold') || 0);
  const height = h('span', { class: 'stat-value', id: 'chain-height' }, num(pick(st, 'height')));
  const health = h('span', { class: 'stat-value', id: 'chain-health' }, 'ok');
  const seq = renderSeq;
  (async () => { // the height ticks while the page is shown
    while (seq === renderSeq) {
      await sleep(3000);
      if (seq !== renderSeq) return;
      try {
        const r = await fetch('/healthz');
        const hz = await r.json().catch(() => ({}));
        health.textContent = r.ok ? 'ok' : 'node unreachable';
        health.className = 'stat-value ' + (r.ok ? '' : 'bad');
        if (hz.height) height.textContent = num(hz.height);
      } catch { health.textContent = 'gateway unreachable'; }
    }
  })();
  const dsBudgets = list(pick(budgets, 'datasets'));
  const grBudgets = list(pick(budgets, 'grants'));
  return [
    h('div', { class: 'stats' },
      h('div', { class: 'stat' }, height, h('span', { class: 'stat-label' }, 'height of ' + (pick(st, 'chain_id') || 'the chain'))),
      h('div', { class: 'stat' }, health, h('span', { class: 'stat-label' }, 'node')),
      stat('committee', pick(cm, 'ready') ? 'ready' : 'not ready', 'committee-ready'),
      stat('epoch', num(pick(cm, 'epoch')))),
    pick(st, 'insecure') ? h('p', { class: 'warning', role: 'note' }, 'INSECURE development network: a small ring and insecure proving-key setups. Do not put real data on it.') : null,
    section('Committee', committeeDots(members, threshold, pick(cm, 'ready')),
      h('p', null, `${members.length} members; any ${threshold} of them complete a computation. Input proofs `,
        pick(st, 'input_proofs_required') ? badge('required', 'good') : badge('not required', 'warn'), '.')),
    section('Privacy budgets (ε)',
      dsBudgets.length || grBudgets.length ? null : h('p', { class: 'empty' }, 'No budgets spent or set yet.'),
      dsBudgets.length ? h('h3', null, 'Per dataset') : null,
      h('div', { class: 'gauges', id: 'dataset-gauges' }, dsBudgets.map((b) => gauge(short(pick(b, 'id')), pick(b, 'spent'), pick(b, 'limit')))),
      grBudgets.length ? h('h3', null, 'Per grant') : null,
      h('div', { class: 'gauges', id: 'grant-gauges' }, grBudgets.map((b) => gauge(short(pick(b, 'id')), pick(b, 'spent'), pick(b, 'limit'))))),
    section('Circuits', table('circuits-table', ['Circuit', 'Kind', 'Chunk size', 'Width', 'Setup'], list(pick(st, 'circuits')).map((c) =>
      h('tr', null, h('td', null, idCode(pick(c, 'id'))), h('td', null, pick(c, 'kind') || '—'), h('td', null, num(pick(c, 'chunk_size'))),
        h('td', null, num(pick(c, 'width'))), h('td', null, pick(c, 'insecure') || /insecure/.test(String(pick(c, 'setup') ?? '')) ? badge('insecure (devnet)', 'warn') : badge('ceremony', 'good')))),
    'No circuits registered.')),
    list(pick(st, 'ceremonies')).length ? section('Setup ceremonies', table('ceremonies-table', ['Ceremony', 'State'], list(pick(st, 'ceremonies')).map((c) =>
      h('tr', null, h('td', null, idCode(pick(c, 'id'))), h('td', null, statusBadge(pick(c, 'state') || pick(c, 'status'))))))) : null,
  ];
}

function auditExplorer(route) {
  const q = route.query;
  const inp = (name, label, attrs = {}) => field(label, h('input', { name, value: q.get(name) || '', ...attrs }));
  const form = h('form', { id: 'flows-filter', class: 'card search', role: 'search' },
    inp('dataset', 'Dataset'), inp('party', 'Party'), inp('grant', 'Grant'), inp('kind', 'Kind'),
    inp('from_height', 'From height', { type: 'number', min: 0 }), inp('to_height', 'To height', { type: 'number', min: 0 }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value.trim()) params.set(el.name, el.value.trim());
    go('#/regulator/audit?' + params.toString());
  });
  const flows = pager('/audit/flows', Object.fromEntries([...q.entries()]),
    ['Height', 'Kind', 'Outcome', 'Sender', 'Dataset', 'Grant', 'Computation', 'Amount', 'Time'], (f) => {
      const code = Number(pick(f, 'code') || 0);
      return h('tr', { 'data-kind': pick(f, 'kind'), 'data-computation': pick(f, 'computation') || '', 'data-tx': pick(f, 'tx') || '' },
        h('td', null, num(pick(f, 'height'))), h('td', null, pick(f, 'kind')),
        h('td', null, code ? badge('refused ' + code, 'bad') : badge('ok', 'good')),
        h('td', null, idCode(pick(f, 'sender'))),
        h('td', null, pick(f, 'dataset') ? h('a', { href: '#/regulator/audit?dataset=' + enc(pick(f, 'dataset')) }, idCode(pick(f, 'dataset'))) : '—'),
        h('td', null, pick(f, 'grant') ? h('a', { href: '#/regulator/audit?grant=' + enc(pick(f, 'grant')) }, idCode(pick(f, 'grant'))) : '—'),
        h('td', null, pick(f, 'computation') ? idCode(pick(f, 'computation')) : '—'),
        h('td', null, pick(f, 'amount') ? credits(pick(f, 'amount')) : '—'), h('td', null, pick(f, 'time') ? new Date(pick(f, 'time')).toLocaleString() : '—'));
    }, 'flows-table', 'No flows match these filters.');
  return [form, section('Flows', flows)];
}

async function holdsView(route, me) {
  const holds = await allPages('/holds', {});
  const kind = h('select', { name: 'kind', id: 'freeze-kind' }, ['dataset', 'grant', 'party', 'product'].map((k) => h('option', { value: k }, k)));
  const form = h('form', { id: 'freeze-form', class: 'card' }, h('h2', null, 'Freeze'),
    h('p', { class: 'hint' }, 'A freeze stops every computation over the object at once; computations under way are refunded.'),
    h('div', { class: 'grid' }, field('Kind', kind), field('ID or address', h('input', { name: 'id', id: 'freeze-id', required: true, value: route.query.get('id') || '' })),
      field('Reason', h('input', { name: 'reason', id: 'freeze-reason', required: true }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger', id: 'freeze-submit' }, 'Freeze')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    try {
      await api('POST', '/holds', { body: { from: me.name, kind: kind.value, id: form.elements.id.value.trim(), reason: form.elements.reason.value.trim() } });
      render();
    } catch (err) { showProblem(err, form); }
  });
  const rows = holds.map((x) => {
    const released = pick(x, 'in_force') === false || Number(pick(x, 'released_height') || 0) > 0 ? Number(pick(x, 'released_height') || 0) || 'once' : 0;
    const reason = h('input', { 'aria-label': 'Reason to release hold ' + pick(x, 'id'), placeholder: 'reason', class: 'reason' });
    return h('tr', { 'data-id': pick(x, 'id'), 'data-target': pick(x, 'target') },
      h('td', null, idCode(pick(x, 'id'))), h('td', null, pick(x, 'kind')), h('td', null, idCode(pick(x, 'target'))), h('td', null, pick(x, 'reason')),
      h('td', null, idCode(pick(x, 'by'))), h('td', null, num(pick(x, 'height'))),
      h('td', null, released ? badge('released at ' + released, 'neutral') : badge('in force', 'bad')),
      h('td', null, h('div', { class: 'row-actions' }, released ? null : [reason, h('button', { type: 'button', class: 'small', onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api('POST', '/holds/release', { body: { from: me.name, kind: pick(x, 'kind'), id: pick(x, 'target'), reason: reason.value.trim() } });
          render();
        } catch (err) { showProblem(err); e.target.disabled = false; }
      } }, 'Release')])));
  });
  return [form, section('Holds', table('holds-table', ['Hold', 'Kind', 'Target', 'Reason', 'By', 'Height', 'State', ''], rows, 'No holds.'))];
}

async function proposalsView(route, me) {
  const items = await allPages('/proposals', {});
  const form = h('form', { id: 'propose-form', class: 'card' }, h('h2', null, 'Propose a regulator change'),
    h('div', { class: 'grid' }, field('Change', h('select', { name: 'change' }, h('option', { value: 'add' }, 'add'), h('option', { value: 'remove' }, 'remove'))),
      field('Address', h('input', { name: 'who', required: true })), field('Reason', h('input', { name: 'reason' }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Propose')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearProblem(form);
    try {
      await api('POST', '/proposals', { body: { from: me.name, change: form.elements.change.value, who: form.elements.who.value.trim(), reason: form.elements.reason.value.trim() } });
      render();
    } catch (err) { showProblem(err, form); }
  });
  const rows = items.map((p) => h('tr', { 'data-id': pick(p, 'id') },
    h('td', null, idCode(pick(p, 'id'))), h('td', null, pick(p, 'change')), h('td', null, idCode(pick(p, 'address'))), h('td', null, pick(p, 'reason') || ''),
    h('td', null, num(list(pick(p, 'votes')).length)), h('td', null, statusBadge(pick(p, 'status'))),
    h('td', null, pick(p, 'status') === 'open' ? h('button', { type: 'button', class: 'small', onclick: async (e) => {
      e.target.disabled = true;
      try { await api('POST', `/proposals/${enc(pick(p, 'id'))}/vote`, { body: { from: me.name } }); render(); } catch (err) { showProblem(err); e.target.disabled = false; }
    } }, 'Vote for') : null)));
  return [section('Proposals', table('proposals-table', ['Proposal', 'Change', 'Address', 'Reason', 'Votes', 'Status', ''], rows, 'No proposals.')), form];
}

async function reportView(route, me) {
  const r = await api('GET', '/audit/report', { query: { from: me.name } });
  const problems = list(pick(r, 'problems'));
  const supply = pick(r, 'supply') || {};
  const dl = h('button', { type: 'button', id: 'report-download', onclick: async () => {
    try {
      const res = await fetch(API + '/audit/report?download=1&from=' + enc(me.name), { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) await readResponse(res);
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: `dxp-audit-${pick(r, 'chain_id') || 'chain'}-${pick(r, 'height')}.json` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) { showProblem(err); }
  } }, 'Download the report (JSON)');
  return [
    h('div', { class: 'stats' }, stat('datasets', num(list(pick(r, 'datasets')).length)), stat('grants', num(list(pick(r, 'grants')).length)),
      stat('computations', num(list(pick(r, 'computations')).length)), stat('payments', num(list(pick(r, 'payments')).length)),
      stat('holds', num(list(pick(r, 'holds')).length)), stat('credit supply', pick(supply, 'conserved') ? 'conserved' : 'NOT conserved')),
    section('Audit report at height ' + num(pick(r, 'height')), h('p', null, 'Every proof re-verified and every flow read from the chain by this gateway.'), dl,
      problems.length ? [h('h3', null, 'Problems found'), h('ul', { id: 'report-problems' }, problems.map((p) => h('li', null, p)))] : h('p', null, badge('no problems found', 'good'))),
    section('Datasets', table('report-datasets', ['Dataset', 'Holder', 'Rows', 'Proofs', 'Verified'], list(pick(r, 'datasets')).map((d) =>
      h('tr', null, h('td', null, idCode(pick(d, 'id'))), h('td', null, idCode(pick(d, 'holder'))), h('td', null, num(pick(d, 'rows'))),
        h('td', null, num(pick(d, 'chunks'))), h('td', null, pick(d, 'proof_verified') ? badge('✓', 'good') : badge('✗', 'bad')))))),
  ];
}

// ---------- start ----------

$('#token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearProblem();
  const t = $('#token').value.trim();
  $('#token').value = '';
  try {
    await signIn(t);
    render();
  } catch (err) {
    state.token = '';
    showProblem(err);
  }
});
$('#signout').addEventListener('click', signOut);
// A new page moves the keyboard focus to its content, as a page load would, so a keyboard or
// screen-reader user continues from the top of what changed.
window.addEventListener('hashchange', async () => { clearProblem(); await render(); $('#main').focus({ preventScroll: true }); });
render();
