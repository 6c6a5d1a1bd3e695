/**
 * The dashboard's HTTP routes, served by the metrics server (same address, caps and timeouts; GET only):
 * `/` the page, `/ui/*` its script and style and uPlot (from the installed npm package, no CDN), and the
 * JSON it polls — `/api/state` (services, real servers, VRRP, health), `/api/history` (rate series, VRRP
 * transitions, health changes), `/api/connections?offset=&limit=&q=` (paged; q's words must all occur in a row), `/api/walk?proto=
 * &client=&vip=&flags=` or `?sample=SEQ` (the packet walk of one packet, explained on a copy of the data plane's
 * state), `/api/samples` (sampled live packets); for a replayed capture also `/api/replay?offset=&limit=&q=` (its
 * packets, paged and filtered) and `/api/walk?packet=N` (packet N as the replay saw it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExplainFlow } from '../dataplane/explain-flow.js';
import type { HttpAnswer, HttpRoutes } from '../metrics/server.js';
import type { DashboardHistory } from './history.js';
import type { DashboardSource } from './source.js';
import { packetWalk } from './walk.js';

/** Connections per page at most. */
export const MAX_PAGE = 500;
/**
 * Connections the table page looks at, at most: a director under a flood holds millions, and listing them
 * all on the main thread every poll would delay VRRP adverts; the page says when it saw only these.
 */
export const MAX_SCAN = 10_000;

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

function uplotDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('uplot'));
}

/** Static files by URL: [file, content type]. Read once, at first use. */
function staticFiles(): Record<string, [string, string]> {
  return {
    '/': [path.join(UI_DIR, 'index.html'), 'text/html; charset=utf-8'],
    '/ui/dashboard.js': [path.join(UI_DIR, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    '/ui/dashboard.css': [path.join(UI_DIR, 'dashboard.css'), 'text/css; charset=utf-8'],
    '/ui/uPlot.iife.min.js': [path.join(uplotDir(), 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    '/ui/uPlot.min.css': [path.join(uplotDir(), 'uPlot.min.css'), 'text/css; charset=utf-8'],
  };
}

const json = (x: unknown, status = 200): HttpAnswer => ({ status, type: 'application/json', body: JSON.stringify(x) });

/** A page request's offset, limit (at most MAX_PAGE) and filter words (each must occur somewhere in a row). */
function pageOf(q: URLSearchParams): { offset: number; limit: number; words: string[] } {
  const offset = Math.max(0, Math.floor(Number(q.get('offset') ?? 0)) || 0);
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(Number(q.get('limit') ?? 50)) || 50));
  const words = (q.get('q') ?? '').trim().toLowerCase().split(/\s+/).filter(Boolean);
  return { offset, limit, words };
}

/** The routes over `src` and its sampled `history`. */
export function dashboardRoutes(src: DashboardSource, history: DashboardHistory): HttpRoutes {
  let files: Record<string, [string, string]> | undefined;
  const cache = new Map<string, Uint8Array>();
  return (url, q) => {
    files ??= staticFiles();
    const f = files[url];
    if (f) {
      let body = cache.get(url);
      if (!body) {
        body = readFileSync(f[0]);
        cache.set(url, body);
      }
      const headers: Record<string, string> = url === '/' ? { 'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'" } : {};
      return { status: 200, type: f[1], body, headers };
    }
    switch (url) {
      case '/favicon.ico':
        // Browsers ask for it on their own: no icon, and no 404 in the console.
        return { status: 204, type: 'image/x-icon', body: '' };
      case '/api/state': {
        const r = src.replay;
        const replay = r ? { file: r.file, packets: r.packets.length, lastMs: r.packets.at(-1)?.timeMs ?? 0 } : null;
        return json({ atMs: replay ? replay.lastMs : Date.now(), services: src.services(), vrrp: src.vrrp(), health: src.health(), replay });
      }
      case '/api/replay': {
        if (!src.replay) return json({ error: 'this dashboard shows a daemon, not a replay' }, 404);
        const { offset, limit, words } = pageOf(q);
        const all = src.replay.packets;
        const hit = words.length
          ? all.filter((p) => {
              const row = `#${p.n} ${p.flow} [${p.flags}] ${p.verdict} ${p.reason ?? ''} ${p.to ?? ''}`.toLowerCase();
              return words.every((w) => row.includes(w));
            })
          : all;
        return json({ total: hit.length, offset, limit, items: hit.slice(offset, offset + limit) });
      }
      case '/api/history':
        return json({ rates: history.rates, vrrp: history.vrrp, health: history.health });
      case '/api/connections': {
        const { offset, limit, words } = pageOf(q);
        const all = src.connections(MAX_SCAN);
        const hit = words.length
          ? all.filter((c) => {
              const row = `${c.protocol} ${c.client} ${c.virtual} ${c.dest} ${c.state}`.toLowerCase();
              return words.every((w) => row.includes(w));
            })
          : all;
        return json({ total: hit.length, scanned: all.length, capped: all.length >= MAX_SCAN, offset, limit, items: hit.slice(offset, offset + limit) });
      }
      case '/api/samples':
        return json(src.samples());
      case '/api/walk': {
        const packet = q.get('packet');
        if (packet !== null) {
          if (!src.replay) return json({ error: 'no replayed capture here: packet= walks a packet of `ulvs replay --dashboard`' }, 404);
          if (!/^[1-9]\d{0,9}$/.test(packet)) return json({ error: 'packet must be a packet number (1 = the first)' }, 400);
          return src.replay
            .walk(Number(packet))
            .then((e) => (e ? json({ ...packetWalk(e), packet: Number(packet) }) : json({ error: `the capture has no packet ${packet}` }, 404)));
        }
        const sample = q.get('sample');
        if (sample !== null) {
          if (!/^\d+$/.test(sample)) return json({ error: 'sample must be a sample number' }, 400);
          const e = src.explainSample(Number(sample));
          return e ? json(packetWalk(e)) : json({ error: `no sampled packet #${sample}` }, 404);
        }
        const flow = parseExplainFlow(q.get('proto') ?? 'tcp', q.get('client') ?? '', q.get('vip') ?? '', q.get('flags') || undefined);
        if (typeof flow === 'string') return json({ error: flow }, 400);
        const e = src.explain({ ...flow, reply: true });
        if (!e) return json({ error: 'the data plane runs no rules yet' }, 409);
        return json(packetWalk(e));
      }
      default:
        return undefined;
    }
  };
}
