/**
 * `ulvs lab demo` and `ulvs lab up --mode`: what the lab shows a person. This first version proves the
 * topology (the client reaches each real server directly); the live data-plane work extends it to run
 * the directors and send traffic through the VIP in each LVS mode.
 */
import type { Lab } from './lab.js';
import { probeRealServers } from './connectivity.js';
import { describeLab } from './describe.js';

/** LVS forwarding modes the lab can demonstrate. */
export type LabMode = 'dr' | 'nat' | 'tun';

/** Runs the demo on a lab that is up; writes to `out`; resolves to an exit code. */
export async function runDemo(lab: Lab, _modes: LabMode[], out: (line: string) => void): Promise<number> {
  out(describeLab(lab));
  out('');
  out('client -> each real server directly (no director involved):');
  const probes = await probeRealServers(lab);
  let bad = 0;
  for (const p of probes) {
    const ok = p.answeredBy === p.target;
    if (!ok) bad++;
    out(`  curl http://${p.address}/  ->  ${p.answeredBy || '(no answer)'}${ok ? '' : '   <-- FAILED'}`);
  }
  out(bad === 0 ? 'all real servers reachable' : `${bad} probe(s) failed`);
  return bad === 0 ? 0 : 1;
}

/** Starts the directors of the lab in `mode` and leaves them running (not available yet in this build). */
export async function startMode(_lab: Lab, mode: LabMode): Promise<string> {
  throw new Error(`lab mode '${mode}' needs the live data plane, which this build does not have yet`);
}
