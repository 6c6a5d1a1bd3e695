/**
 * keepalived's notify FIFOs (lib/notify.c fifo_open/fifo_close): `notify_fifo` (every line),
 * `vrrp_notify_fifo` (INSTANCE/GROUP lines) and `lvs_notify_fifo` (VS/RS lines). Each FIFO is
 * created with mode 0644 if missing (and then removed at close), its `*_script` is started with the
 * FIFO's path as last argument before the FIFO is opened O_RDWR|O_NONBLOCK (so writing never blocks
 * and a missing reader loses lines, as with keepalived), and lines are written whole:
 *   INSTANCE "VI_1" MASTER 100      GROUP "G1" BACKUP 0      VS [10.0.0.1]:tcp:80 UP
 *   RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN
 * Shared by the VRRP side and the checkers: one set per daemon, see notifyFifos().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** One FIFO of global_defs: its path, and the script that reads it (argv, FIFO path appended). */
export interface NotifyFifoSpec {
  path: string;
  script?: string[];
}

/** The three FIFOs keepalived knows (each optional). */
export interface NotifyFifoConfig {
  /** `notify_fifo` / `notify_fifo_script`: gets every line. */
  all?: NotifyFifoSpec;
  /** `vrrp_notify_fifo` / `vrrp_notify_fifo_script`: INSTANCE and GROUP lines. */
  vrrp?: NotifyFifoSpec;
  /** `lvs_notify_fifo` / `lvs_notify_fifo_script`: VS and RS lines. */
  lvs?: NotifyFifoSpec;
}

/** A virtual service as keepalived's format_vs prints it: `[ADDR]:proto:PORT`, `FWM N` or `[GROUP]:PORT`. */
export type FifoVs = { address: string; protocol: 'tcp' | 'udp' | 'sctp' | string; port: number } | { fwmark: number } | { group: string; port: number };

/** `[ADDR]:proto:PORT` (keepalived's inet_sockaddrtotrio, IPv4 in brackets too). */
export function fifoTrio(address: string, protocol: string, port: number): string {
  return `[${address}]:${protocol}:${port}`;
}

/** keepalived's format_vs text of a virtual service. */
export function fifoVsText(vs: FifoVs): string {
  if ('fwmark' in vs) return `FWM ${vs.fwmark}`;
  if ('group' in vs) return `[${vs.group}]:${vs.port}`;
  return fifoTrio(vs.address, vs.protocol, vs.port);
}

/** `INSTANCE "name" STATE prio` / `GROUP "name" STATE 0` (vrrp_notify.c notify_fifo). */
export function fifoVrrpLine(kind: 'INSTANCE' | 'GROUP', name: string, state: string, priority: number): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

/** `VS <vs> UP|DOWN` (ipwrapper.c notify_fifo_vs: the quorum state). */
export function fifoVsLine(vs: FifoVs, up: boolean): string {
  return `VS ${fifoVsText(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

/** `RS [rs]:proto:port <vs> UP|DOWN` (ipwrapper.c notify_fifo_rs); the real server takes the service's protocol. */
export function fifoRsLine(rs: { address: string; port: number }, vs: FifoVs, protocol: string, up: boolean): string {
  return `RS ${fifoTrio(rs.address, protocol, rs.port)} ${fifoVsText(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

/** One open FIFO. */
class OpenFifo {
  private fd = -1;
  private created = false;
  private child?: ChildProcess;
  /** Lines lost because no reader kept up (EAGAIN) or the write failed. */
  lost = 0;

  constructor(
    readonly spec: NotifyFifoSpec,
    private readonly log: (m: string) => void,
  ) {}

  open(): void {
    const p = this.spec.path;
    if (!existsSync(p)) {
      const r = spawnSync('mkfifo', ['-m', '0644', p], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) {
        this.log(`cannot create notify FIFO ${p}: ${r.stderr?.toString().trim() || r.error?.message}`);
        return;
      }
      this.created = true;
    } else if (!lstatSync(p).isFIFO()) {
      this.log(`notify FIFO ${p} exists and is not a FIFO; not used`);
      return;
    }
    if (this.spec.script?.length) {
      const [cmd, ...args] = this.spec.script;
      try {
        this.child = spawn(cmd!, [...args, p], { stdio: 'ignore', detached: true });
        this.child.on('error', (e) => this.log(`notify FIFO script ${cmd}: ${e.message}`));
      } catch (e) {
        this.log(`notify FIFO script ${cmd}: ${(e as Error).message}`);
      }
    }
    try {
      this.fd = openSync(p, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      this.log(`cannot open notify FIFO ${p}: ${(e as Error).message}`);
      if (this.created) {
        try {
          unlinkSync(p);
        } catch {
          /* gone */
        }
        this.created = false;
      }
    }
  }

  write(line: string): void {
    if (this.fd < 0) return;
    try {
      writeSync(this.fd, line);
    } catch {
      this.lost++;
    }
  }

  /** Unlinks a FIFO we created first (so a reading loop cannot reopen it), closes it and ends its script. */
  close(): void {
    if (this.created) {
      try {
        unlinkSync(this.spec.path);
      } catch {
        /* gone */
      }
    }
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        /* closed */
      }
    }
    this.fd = -1;
    const c = this.child;
    if (c?.pid && c.exitCode === null) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    this.child = undefined;
  }
}

function same(a: NotifyFifoSpec | undefined, b: NotifyFifoSpec | undefined): boolean {
  return a?.path === b?.path && (a?.script ?? []).join('\0') === (b?.script ?? []).join('\0');
}

/** The daemon's FIFOs: configure() on start and reload, vrrp()/lvs() write lines, close() at stop. */
export class NotifyFifos {
  private open: Partial<Record<keyof NotifyFifoConfig, OpenFifo>> = {};
  log: (m: string) => void = (m) => process.stderr.write(`ulvs: ${m}\n`);

  /** Opens the FIFOs of `cfg`; ones unchanged since the last call stay open (their readers keep running). */
  configure(cfg: NotifyFifoConfig | undefined): void {
    for (const k of ['all', 'vrrp', 'lvs'] as const) {
      const want = cfg?.[k];
      const have = this.open[k];
      if (have && same(have.spec, want)) continue;
      have?.close();
      delete this.open[k];
      if (want) {
        const f = new OpenFifo(want, this.log);
        f.open();
        this.open[k] = f;
      }
    }
  }

  /** Writes a VRRP line (INSTANCE/GROUP) to notify_fifo and vrrp_notify_fifo. */
  vrrp(line: string): void {
    this.open.all?.write(line);
    this.open.vrrp?.write(line);
  }

  /** Writes a checker line (VS/RS) to notify_fifo and lvs_notify_fifo. */
  lvs(line: string): void {
    this.open.all?.write(line);
    this.open.lvs?.write(line);
  }

  /** True when some FIFO takes VRRP lines. */
  get hasVrrp(): boolean {
    return !!(this.open.all || this.open.vrrp);
  }

  /** Closes every FIFO (removing those it created) and ends their scripts. */
  close(): void {
    for (const f of Object.values(this.open)) f?.close();
    this.open = {};
  }
}

let shared: NotifyFifos | undefined;

/** The process's FIFO set (one daemon per process), shared by the VRRP manager and the checkers. */
export function notifyFifos(): NotifyFifos {
  shared ??= new NotifyFifos();
  return shared;
}
