/**
 * The dashboard's HTTP routes, served by the metrics server (same address, caps and timeouts; GET only):
 * `/` the page, `/ui/*` its script and style and uPlot (from the installed npm package, no CDN), and the
 * JSON it polls — `/api/state` (services, real servers, VRRP, health), `/api/history` (rate series, VRRP
 * transitions, health changes), `/api/connections?offset=&limit=&q=` (paged; q's words must all occur in a row), `/api/walk?proto=
 * &client=&vip=&flags=` or `?sample=SEQ` (the packet walk of one packet, explained on a copy of the data plane's
 * state), `/api/samples` (sampled live packets).
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
      case '/api/state':
        return json({ atMs: Date.now(), services: src.services(), vrrp: src.vrrp(), health: src.health() });
      case '/api/history':
        return json({ rates: history.rates, vrrp: history.vrrp, health: history.health });
      case '/api/connections': {
        const offset = Math.max(0, Math.floor(Number(q.get('offset') ?? 0)) || 0);
        const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(Number(q.get('limit') ?? 50)) || 50));
        // Words of the filter, each found somewhere in the row (address, port, state, protocol).
        const words = (q.get('q') ?? '').trim().toLowerCase().split(/\s+/).filter(Boolean);
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
