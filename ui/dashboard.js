// The ulvs dashboard page: polls the daemon's read-only JSON (/api/state every second, /api/history
// every 2 s, /api/connections on demand) and draws services, rate charts (uPlot), VRRP with its
// transition timeline, health history, the connection table and the packet walk. Plain DOM, no framework.
'use strict';
(() => {
  const $ = (s) => document.querySelector(s);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of kids) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));
  const hhmmss = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
  const dash = { charts: {}, state: null, history: null, walk: null, polls: 0 };
  window.ulvsDash = dash;

  async function get(url) {
    const r = await fetch(url, { cache: 'no-store' });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || `${r.status}`);
    return body;
  }

  // ---------------------------------------------------------------- services and real servers
  function drawServices(st) {
    const t = el('table', { id: 'services-table' }, el('thead', {}, el('tr', {}, ...['', 'forward', 'weight', 'health', 'active', 'inactive', 'conns', 'pkts/s in', 'conn/s'].map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const s of st.services) {
      body.append(
        el('tr', { class: 'svc', 'data-service': s.key }, el('td', { text: `${s.key}  ${s.scheduler}${s.persistentS ? ` persistent ${s.persistentS}s` : ''}` }), el('td'), el('td'), el('td'), el('td'), el('td'), el('td', { class: 'conns', text: fmt(s.conns) }), el('td', { class: 'pps', text: fmt(s.rates.inPps) }), el('td', { class: 'cps', text: fmt(s.rates.cps) })),
      );
      for (const d of s.dests) {
        const rs = d.address.includes(':') ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
        const h = d.alive === null ? '-' : d.alive ? 'up' : 'down';
        body.append(
          el(
            'tr',
            { class: `dest${d.weight === 0 ? ' quiesced' : ''}`, 'data-rs': rs, 'data-service': s.key },
            el('td', { text: `  -> ${rs}` }),
            el('td', { text: d.forward }),
            el('td', { class: 'weight', text: String(d.weight) }),
            el('td', { class: `health ${h}`, text: h }),
            el('td', { class: 'active', text: String(d.activeConns) }),
            el('td', { class: 'inactive', text: String(d.inactiveConns) }),
            el('td', { class: 'conns', text: fmt(d.conns) }),
            el('td', { class: 'pps', text: fmt(d.rates.inPps) }),
            el('td', { class: 'cps', text: fmt(d.rates.cps) }),
          ),
        );
      }
    }
    t.append(body);
    $('#services').replaceChildren(st.services.length ? t : el('p', { text: 'no virtual services' }));
  }

  // ---------------------------------------------------------------- rate charts (uPlot)
  // One chart per service: its packets/s in and connections/s, and each real server's packets/s in (thin lines).
  const RS_COLOURS = ['#188038', '#9334e6', '#d01884', '#12b5cb', '#b06000', '#5f6368'];
  function drawCharts(h) {
    const r = h.rates;
    const xs = r.t.map((ms) => ms / 1000);
    const keys = [...new Set(Object.keys(r.values).filter((k) => !k.includes(' -> ')).map((k) => k.replace(/ (cps|inPps|outPps|inBps)$/, '')))];
    for (const key of keys) {
      const dests = Object.keys(r.values)
        .filter((k) => k.startsWith(`${key} -> `) && k.endsWith(' inPps'))
        .sort();
      const data = [xs, r.values[`${key} inPps`] || [], r.values[`${key} cps`] || [], ...dests.map((k) => r.values[k])];
      const shape = dests.join('|');
      let c = dash.charts[key];
      if (c && c.shape !== shape) {
        // Real servers came or went (a reload): draw the chart again with the new lines.
        c.destroy();
        c.box.remove();
        c = undefined;
      }
      if (!c) {
        const box = el('div', { class: 'chart', 'data-service': key }, el('h3', { text: key }));
        $('#charts').append(box);
        const rsSeries = dests.map((k, i) => ({ label: `${k.slice(key.length + 4, -6)} pkts/s`, stroke: RS_COLOURS[i % RS_COLOURS.length], width: 1 }));
        c = new uPlot(
          {
            width: 520,
            height: 180,
            series: [{}, { label: 'pkts/s in', stroke: '#1a73e8', width: 2 }, { label: 'conn/s', stroke: '#e37400', width: 2 }, ...rsSeries],
            axes: [{}, { size: 50 }],
          },
          data,
          box,
        );
        c.shape = shape;
        c.box = box;
        dash.charts[key] = c;
      } else c.setData(data);
    }
    for (const key of Object.keys(dash.charts))
      if (!keys.includes(key)) {
        dash.charts[key].destroy();
        dash.charts[key].box.remove();
        delete dash.charts[key];
      }
  }

  // ---------------------------------------------------------------- VRRP
  function drawVrrp(st, h) {
    $('#vrrp tbody').replaceChildren(
      ...st.vrrp.map((v) =>
        el('tr', { 'data-instance': v.name }, el('td', { text: v.name }), el('td', { text: String(v.vrid) }), el('td', { text: v.interface }), el('td', { class: `state ${v.state}`, text: v.state }), el('td', { text: `${v.effectivePriority}/${v.priority}` }), el('td', { class: 'transitions', text: String(v.transitions) })),
      ),
    );
    if (!h) return;
    const now = Date.now();
    const start = Math.min(now - 60_000, ...h.vrrp.map((e) => e.atMs));
    const span = Math.max(1, now - start);
    const byInst = new Map();
    for (const e of h.vrrp) (byInst.get(e.instance) || byInst.set(e.instance, []).get(e.instance)).push(e);
    const rows = [];
    for (const [inst, evs] of byInst) {
      const bar = el('div', { class: 'timeline', 'data-instance': inst, title: inst });
      // The bar spans [start, now]: the time before the instance's first state is blank, so "now" is the right edge.
      if (evs.length && evs[0].atMs > start) bar.append(el('div', { class: 'seg-none', style: `width:${(100 * (evs[0].atMs - start)) / span}%` }));
      evs.forEach((e, i) => {
        const end = i + 1 < evs.length ? evs[i + 1].atMs : now;
        bar.append(el('div', { class: `seg-${e.to}`, style: `width:${(100 * (end - e.atMs)) / span}%`, title: `${e.to} from ${hhmmss(e.atMs)}` }));
      });
      rows.push(el('div', {}, el('small', { text: `${inst}: ${hhmmss(start)} to now` })), bar);
    }
    $('#vrrp-timeline').replaceChildren(...rows);
    $('#vrrp-events').replaceChildren(
      ...h.vrrp
        .slice(-20)
        .reverse()
        .map((e) => el('li', { 'data-to': e.to, 'data-from': e.from, text: `${hhmmss(e.atMs)} ${e.instance}: ${e.from || '(start)'} -> ${e.to}` })),
    );
  }

  // ---------------------------------------------------------------- health
  function drawHealth(st, h) {
    const hist = new Map();
    for (const e of h ? h.health : []) {
      const id = `${e.service} ${e.realServer}`;
      (hist.get(id) || hist.set(id, []).get(id)).push(e);
    }
    $('#health tbody').replaceChildren(
      ...st.health.map((x) => {
        const evs = hist.get(`${x.service} ${x.realServer}`) || [];
        const bars = el('span', { class: 'hist' }, ...evs.slice(-30).map((e) => el('span', { class: e.alive ? 'ok' : 'ko', title: `${hhmmss(e.atMs)} ${e.alive ? 'up' : 'down'}` })));
        return el('tr', { 'data-rs': x.realServer, 'data-service': x.service, class: x.checkers.length ? 'checked' : 'unchecked' }, el('td', { text: x.service }), el('td', { text: x.realServer }), el('td', { class: x.alive ? 'up' : 'down', text: x.alive ? 'up' : 'down' }), el('td', { class: 'checker', text: x.checkers.length ? x.checkers.join(' ') : 'none (always up)' }), el('td', { class: 'checks', text: !x.checkers.length ? '-' : x.firstCheckPending ? 'first check pending (warmup up to delay_loop)' : String(x.checks) }), el('td', { text: String(x.failures) }), el('td', {}, bars, ` ${evs.length} change(s)`));
      }),
    );
  }

  // ---------------------------------------------------------------- connections
  const conn = { offset: 0, limit: 25, q: '' };
  async function loadConns() {
    const r = await get(`/api/connections?offset=${conn.offset}&limit=${conn.limit}&q=${encodeURIComponent(conn.q)}`);
    $('#conn-total').textContent = r.capped ? `(${r.total} in the first ${r.scanned} of the table)` : `(${r.total})`;
    $('#conn-page').textContent = r.total ? `${r.offset + 1}-${Math.min(r.total, r.offset + r.items.length)} of ${r.total}` : 'none';
    $('#conns tbody').replaceChildren(
      ...r.items.map((c) =>
        el(
          'tr',
          {
            onclick: () => {
              $('#walk-proto').value = c.protocol.toLowerCase();
              $('#walk-client').value = c.client;
              $('#walk-vip').value = c.virtual;
              $('#walk-flags').value = c.protocol === 'TCP' ? 'A' : '';
              void walk();
            },
          },
          el('td', { text: c.protocol }),
          el('td', { text: c.client }),
          el('td', { text: c.virtual }),
          el('td', { text: c.dest }),
          el('td', { text: c.state }),
          el('td', { text: String(c.expiresS) }),
        ),
      ),
    );
    return r;
  }
  $('#conn-q').addEventListener('input', (e) => {
    conn.q = e.target.value;
    conn.offset = 0;
    void loadConns();
  });
  $('#conn-prev').addEventListener('click', () => {
    conn.offset = Math.max(0, conn.offset - conn.limit);
    void loadConns();
  });
  $('#conn-next').addEventListener('click', () => {
    conn.offset += conn.limit;
    void loadConns();
  });

  // ---------------------------------------------------------------- packets of a replayed capture
  const rp = { offset: 0, limit: 25, q: '', picked: 0 };
  const msText = (ms) => `${hhmmss(ms)}.${String(Math.floor(ms % 1000)).padStart(3, '0')}`;
  async function loadReplay() {
    const r = await get(`/api/replay?offset=${rp.offset}&limit=${rp.limit}&q=${encodeURIComponent(rp.q)}`);
    $('#replay-total').textContent = `(${r.total}${rp.q ? ' matching' : ''} of ${dash.state.replay.packets} in ${dash.state.replay.file})`;
    $('#replay-page').textContent = r.total ? `${r.offset + 1}-${Math.min(r.total, r.offset + r.items.length)} of ${r.total}` : 'none';
    $('#replay tbody').replaceChildren(
      ...r.items.map((p) =>
        el(
          'tr',
          {
            'data-packet': String(p.n),
            class: p.n === rp.picked ? 'picked' : '',
            onclick: () => {
              rp.picked = p.n;
              document.querySelectorAll('#replay tbody tr').forEach((tr) => tr.classList.toggle('picked', tr.dataset.packet === String(p.n)));
              void walk({ packet: p.n });
            },
          },
          el('td', { text: String(p.n) }),
          el('td', { text: msText(p.timeMs) }),
          el('td', { text: p.flow }),
          el('td', { text: p.flags }),
          el('td', { class: p.verdict, text: `${p.verdict}${p.reason ? ` (${p.reason})` : ''}` }),
          el('td', { text: p.to ?? '-' }),
        ),
      ),
    );
  }
  $('#replay-q').addEventListener('input', (e) => {
    rp.q = e.target.value;
    rp.offset = 0;
    void loadReplay();
  });
  $('#replay-prev').addEventListener('click', () => {
    rp.offset = Math.max(0, rp.offset - rp.limit);
    void loadReplay();
  });
  $('#replay-next').addEventListener('click', () => {
    rp.offset += rp.limit;
    void loadReplay();
  });

  // ---------------------------------------------------------------- packet walk
  let playing;
  function showHop(i) {
    document.querySelectorAll('#walk .hop').forEach((h, k) => h.classList.toggle('active', k === i));
    document.querySelectorAll('#walk-path .arrow').forEach((a, k) => a.classList.toggle('active', k === i));
  }
  async function loadSamples() {
    const r = await get('/api/samples');
    $('#samples-rate').textContent = r.rate ? `(${r.rate}/s per worker)` : "(off: 'ulvs explain --sampling 5' turns it on)";
    $('#samples').replaceChildren(
      ...r.samples
        .slice(-10)
        .reverse()
        .map((x) => el('li', { class: 'sample', 'data-seq': String(x.seq), onclick: () => void walk(x.seq), text: `#${x.seq} ${hhmmss(x.atMs)} ${x.flow} — ${x.verdict}${x.reason ? ` (${x.reason})` : ''}` })),
    );
  }
  // walk(): the flow of the form; walk(seq): a sampled live packet; walk({ packet: N }): packet N of a replay.
  async function walk(sample) {
    const q =
      typeof sample === 'object'
        ? new URLSearchParams({ packet: String(sample.packet) })
        : sample !== undefined
          ? new URLSearchParams({ sample: String(sample) })
          : new URLSearchParams({ proto: $('#walk-proto').value, client: $('#walk-client').value.trim(), vip: $('#walk-vip').value.trim(), flags: $('#walk-flags').value.trim() });
    let w;
    try {
      w = await get(`/api/walk?${q}`);
    } catch (e) {
      $('#walk').replaceChildren(el('p', { class: 'down', text: e.message }));
      return;
    }
    dash.walk = w;
    $('#walk-title').textContent =
      w.packet !== undefined
        ? `packet #${w.packet} of ${dash.state.replay.file}, as the replay saw it (the table the packets before it left)`
        : dash.state && dash.state.replay
          ? 'this flow against the table as the capture ends'
          : '';
    const path = [w.hops[0].from];
    for (const h of w.hops) path.push(h.to);
    $('#walk-path').replaceChildren(el('strong', { text: `${(w.mode || 'not forwarded').toUpperCase()}: ` }), ...path.flatMap((n, i) => (i === 0 ? [el('span', { class: 'node', text: n })] : [el('span', { class: 'arrow', text: '→' }), el('span', { class: 'node', text: n })])));
    $('#walk').replaceChildren(
      ...w.hops.map((h, i) =>
        el(
          'div',
          { class: 'hop', 'data-hop': String(i) },
          el('h4', { text: `${i + 1}. ${h.from} → ${h.to}` }),
          el('p', { class: 'note', text: h.note }),
          el('table', {}, el('tbody', {}, ...h.fields.map((f) => el('tr', { class: f.changed ? 'changed' : f.kernel ? 'kernel' : '', 'data-field': `${f.layer}.${f.name}` }, el('td', { text: `${f.layer}.${f.name}` }), el('td', { text: f.value }))))),
        ),
      ),
    );
    $('#walk-steps').replaceChildren(...w.steps.map((s) => el('li', { text: s })));
    showHop(1);
  }
  $('#walk-go').addEventListener('click', () => void walk(undefined));
  $('#walk-play').addEventListener('click', () => {
    if (!dash.walk) return;
    clearInterval(playing);
    let i = 0;
    showHop(0);
    playing = setInterval(() => {
      i++;
      if (i >= dash.walk.hops.length) clearInterval(playing);
      else showHop(i);
    }, 900);
  });

  // ---------------------------------------------------------------- polling
  async function tick() {
    try {
      const st = await get('/api/state');
      const first = !dash.state;
      dash.state = st;
      if (first && st.replay) {
        // A replayed capture: its packets instead of VRRP, health and live samples.
        document.body.classList.add('replay');
        document.title = `ulvs replay: ${st.replay.file}`;
        $('header h1').textContent = `ulvs replay of ${st.replay.file}`;
        $('#replay-section').hidden = false;
        await loadReplay();
      }
      drawServices(st);
      drawVrrp(st, dash.history);
      drawHealth(st, dash.history);
      $('#clock').textContent = hhmmss(st.atMs);
      $('#status').textContent = '';
      if (dash.polls % 2 === 0) {
        dash.history = await get('/api/history');
        drawCharts(dash.history);
        drawVrrp(st, dash.history);
        drawHealth(st, dash.history);
        await loadConns();
        if (!st.replay) await loadSamples();
      }
      dash.polls++;
    } catch (e) {
      $('#status').textContent = `daemon unreachable: ${e.message}`;
    }
  }
  void tick();
  setInterval(tick, 1000);
})();
