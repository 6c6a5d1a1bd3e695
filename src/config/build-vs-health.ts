// A virtual_server's health/policy spec: checker timings, quorum and hysteresis bounded as keepalived does, quorum scripts.
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import { at, fieldsOf, type RawBlock } from './keywords/table.js';
import { virtualServerTable } from './keywords/virtual-server.js';
import { scriptsOf, type ScriptUse } from './script-use.js';
import { copy, scriptSpec } from './build-checker.js';
import type { HealthRealServerSpec, HealthServiceSpec } from '../health/types.js';
import type { RealServerSpec, ServiceKey } from '../ipvs/types.js';
import type { Head } from './build-ipvs.js';

/** The virtual_server's health/policy spec: checker timings, quorum and hysteresis (bounded as keepalived does), quorum scripts. */
export function buildHealthSpec(
  raw: RawBlock,
  head: Head,
  keys: ServiceKey[],
  dests: RealServerSpec[],
  healthRs: HealthRealServerSpec[],
  sink: DiagnosticSink,
  uses: ScriptUse[],
): HealthServiceSpec {
  const health: HealthServiceSpec = {
    id: head.id,
    keys,
    vips: [...new Set(keys.flatMap((k) => (k.kind === 'addr' ? [k.address] : [])))],
    realServers: healthRs,
    where: posString(raw.pos),
  };
  copy(virtualServerTable, health as unknown as Record<string, unknown>, raw, [
    'delayLoopMs',
    'alpha',
    'omega',
    'quorum',
    'hysteresis',
    'inhibitOnFailure',
    'haSuspend',
    'virtualhost',
    'connectTimeoutMs',
    'retry',
    'delayBeforeRetryMs',
    'warmupMs',
    'smtpAlert',
  ]);
  if (health.haSuspend && head.hasFwmark) {
    sink.error(
      at(raw, 'haSuspend'),
      'ha-suspend-fwmark',
      "'ha_suspend' cannot be used with firewall marks (there is no VIP to watch); keepalived clears it — remove it.",
    );
    delete health.haSuspend;
  }
  const weightSum = dests.reduce((s, d) => s + d.weight, 0);
  const quorum = health.quorum ?? 1;
  if (quorum > weightSum) {
    sink.error(
      at(raw, 'quorum'),
      'quorum-too-high',
      `quorum ${quorum} exceeds the total weight ${weightSum} of the real servers, so it could never be met; keepalived lowers it to ${weightSum}.`,
    );
    health.quorum = weightSum;
  }
  const hysteresis = health.hysteresis ?? 0;
  if (hysteresis >= (health.quorum ?? 1) && hysteresis > 0) {
    sink.error(
      at(raw, 'hysteresis'),
      'hysteresis-too-high',
      `hysteresis ${hysteresis} must be below quorum ${health.quorum ?? 1}; keepalived sets it to ${(health.quorum ?? 1) - 1}.`,
    );
    health.hysteresis = Math.max(0, (health.quorum ?? 1) - 1);
  }
  scriptsOf(virtualServerTable, raw, ['quorumUp', 'quorumDown'], uses);
  const qu = scriptSpec(fieldsOf(virtualServerTable, raw).quorumUp);
  if (qu) health.quorumUp = qu;
  const qd = scriptSpec(fieldsOf(virtualServerTable, raw).quorumDown);
  if (qd) health.quorumDown = qd;
  return health;
}
