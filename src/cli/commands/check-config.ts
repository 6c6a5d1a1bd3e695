/**
 * `ulvs check-config -f FILE [--strict] [--json] [-i CONFIG_ID]`: like `keepalived -t`, stricter — a missing
 * file or include and an unknown keyword are errors; exit 0 only when there is no error (with --strict,
 * no warning either).
 */
import { UsageError, type CliCommand } from '../command.js';
import { countBySeverity, formatDiagnostic } from '../../config/diagnostics.js';
import { loadConfig } from '../../config/load-config.js';
import type { ConfigModel, Diagnostic } from '../../config/types.js';
import { serviceKeyText } from '../../ipvs/service-key.js';

const USAGE = `usage: ulvs check-config [-f FILE] [--strict] [--json] [-i CONFIG_ID] [-v] [--no-host-checks]

Validates a keepalived.conf the way 'keepalived -t' does, but stricter: a missing file or include, an
unknown keyword and a missing or unsafe script are errors. Prints 'file:line: severity: message'.

  -f, --use-file FILE   config file (default /etc/keepalived/keepalived.conf)
  -i, --config-id ID    config id for @ID lines (default: first label of the host name)
      --strict          treat warnings (e.g. an interface missing on this host) as errors
      --json            print {ok, summary, diagnostics, model} as JSON
  -v, --verbose         also print notes (keywords accepted but not implemented, old names)
      --no-host-checks  skip checks of this host (interfaces, scripts)

Exit status: 0 no errors, 1 errors found, 2 bad usage.`;

/** Options of check-config. */
interface CheckOptions {
  file: string;
  strict: boolean;
  json: boolean;
  verbose: boolean;
  hostChecks: boolean;
  configId?: string;
}

function parseArgs(argv: string[]): CheckOptions {
  const o: CheckOptions = { file: '/etc/keepalived/keepalived.conf', strict: false, json: false, verbose: false, hostChecks: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '-f':
      case '--use-file':
      case '--file':
        o.file = value();
        break;
      case '-i':
      case '--config-id':
        o.configId = value();
        break;
      case '--strict':
        o.strict = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '--no-host-checks':
        o.hostChecks = false;
        break;
      default:
        throw new UsageError(`unknown option '${a}'`);
    }
  }
  return o;
}

/** A compact JSON-friendly summary of the model. */
export function summarizeModel(m: ConfigModel): unknown {
  return {
    files: m.files,
    vrrpInstances: m.vrrp.instances.map((i) => ({
      name: i.name,
      vrid: i.vrid,
      interface: i.interface,
      version: i.version,
      state: i.initialState,
      priority: i.priority,
      advertIntMs: i.advertIntMs,
      vips: i.vips.map((v) => `${v.address}/${v.prefixLen}`),
      unicastPeers: i.unicastPeers.map((p) => p.address),
    })),
    vrrpScripts: m.vrrp.scripts.map((s) => s.name),
    vrrpSyncGroups: m.vrrp.syncGroups.map((g) => ({ name: g.name, instances: g.instances })),
    virtualServices: m.ipvs.services.map((s) => ({
      service: serviceKeyText(s.key),
      scheduler: s.scheduler,
      persistenceTimeoutS: s.persistenceTimeoutS,
      realServers: s.realServers.map((r) => ({ address: r.address, port: r.port, forward: r.forward, weight: r.weight })),
    })),
    checkers: m.health.reduce((n, h) => n + h.realServers.reduce((k, r) => k + r.checkers.length, 0), 0),
    timeouts: m.ipvs.timeouts,
  };
}

/** Runs the check and writes its report; resolves to the exit code. */
export async function runCheckConfig(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const o = parseArgs(argv);
  const r = loadConfig(o.file, { strict: o.strict, hostChecks: o.hostChecks, ...(o.configId !== undefined ? { configId: o.configId } : {}) });
  const counts = countBySeverity(r.diagnostics);
  if (o.json) {
    out(
      JSON.stringify(
        {
          ok: r.ok,
          file: o.file,
          summary: { errors: counts.error, warnings: counts.warning, notes: counts.note },
          diagnostics: r.diagnostics,
          model: summarizeModel(r.model),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const shown: Diagnostic[] = r.diagnostics.filter((d) => o.verbose || d.severity !== 'note');
    for (const d of shown) out(formatDiagnostic(d) + '\n');
    const hidden = counts.note && !o.verbose ? ` (notes hidden; -v shows them)` : '';
    out(`${o.file}: ${r.ok ? 'OK' : 'FAILED'}: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.note} note(s)${hidden}\n`);
  }
  return r.ok ? 0 : 1;
}

/** The `ulvs check-config` subcommand. */
export const command: CliCommand = {
  name: 'check-config',
  summary: 'validate a keepalived.conf (like keepalived -t, stricter)',
  usage: USAGE,
  run: (argv) => runCheckConfig(argv),
};
