/**
 * The dashboard's memory: sampled once a second from the DashboardSource, a ring of rate points per
 * service and real server (for the charts), every VRRP state change (the transition timeline) and
 * every checker verdict change per real server (health-check history). Bounded: POINTS samples,
 * EVENTS events of each kind.
 */
import type { DashboardSource } from './source.js';

/** Samples kept per series (one a second: 10 minutes). */
export const POINTS = 600;
/** VRRP transitions and health changes kept. */
export const EVENTS = 500;

/** A VRRP state change: at atMs, instance went from `from` ('' = first seen) to `to`. */
export interface VrrpEvent {
  atMs: number;
  instance: string;
  from: string;
  to: string;
}

/** A checker verdict change of one real server. */
export interface HealthEvent {
  atMs: number;
  service: string;
  realServer: string;
  alive: boolean;
}

/** One time series: sample times and, per name, values (same length). */
export interface Series {
  t: number[];
  values: Record<string, number[]>;
}

/** Samples the source and keeps the bounded history. */
export class DashboardHistory {
  readonly rates: Series = { t: [], values: {} };
  readonly vrrp: VrrpEvent[] = [];
  readonly health: HealthEvent[] = [];
  private readonly lastVrrp = new Map<string, string>();
  private readonly lastHealth = new Map<string, boolean>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly src: DashboardSource) {}

  /** Starts sampling every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs = 1000): void {
    this.sample(Date.now());
    this.timer = setInterval(() => this.sample(Date.now()), intervalMs);
    this.timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample at `nowMs` (the timer's step; tests call it directly). */
  sample(nowMs: number): void {
    for (const v of this.src.vrrp()) {
      const prev = this.lastVrrp.get(v.name);
      if (prev !== v.state) {
        push(this.vrrp, { atMs: nowMs, instance: v.name, from: prev ?? '', to: v.state });
        this.lastVrrp.set(v.name, v.state);
      }
    }
    for (const h of this.src.health()) {
      const id = `${h.service} ${h.realServer}`;
      if (this.lastHealth.get(id) !== h.alive) {
        push(this.health, { atMs: nowMs, service: h.service, realServer: h.realServer, alive: h.alive });
        this.lastHealth.set(id, h.alive);
      }
    }
    const point: Record<string, number> = {};
    for (const s of this.src.services()) {
      point[`${s.key} cps`] = s.rates.cps;
      point[`${s.key} inPps`] = s.rates.inPps;
      point[`${s.key} outPps`] = s.rates.outPps;
      point[`${s.key} inBps`] = s.rates.inBps;
      for (const d of s.dests) {
        point[`${s.key} -> ${d.address}:${d.port} inPps`] = d.rates.inPps;
        point[`${s.key} -> ${d.address}:${d.port} active`] = d.activeConns;
      }
    }
    addPoint(this.rates, nowMs, point);
  }
}

/** Appends one sample (values by series name; a new name starts with zeros) and keeps the newest `max`. */
export function addPoint(r: Series, tMs: number, point: Record<string, number>, max = POINTS): void {
  const n = r.t.length;
  for (const name of Object.keys(point)) if (!r.values[name]) r.values[name] = new Array<number>(n).fill(0);
  r.t.push(tMs);
  for (const [name, vals] of Object.entries(r.values)) vals.push(point[name] ?? 0);
  if (r.t.length > max) {
    r.t.shift();
    for (const vals of Object.values(r.values)) vals.shift();
  }
}

function push<T>(list: T[], x: T): void {
  list.push(x);
  if (list.length > EVENTS) list.shift();
}
