/**
 * `ulvs lab demo` and `ulvs lab up --mode`: what the lab shows a person. The demo first proves the
 * topology (the client reaches each real server directly), then for each LVS mode prepares the real
 * servers, runs `ulvs director` on lb1 and sends real HTTP requests through the VIP, printing which
 * real server answered each request and the per-real-server counts; last, two directors running the
 * daemon with VRRP hand the VIP and the traffic over when the MASTER stops.
 */
import { mkdirSync } from 'node:fs';
import type { Lab } from './lab.js';
import { LAB_STATE_DIR } from './lab.js';
import { probeRealServers } from './connectivity.js';
import { describeLab } from './describe.js';
import { runFailoverDemo } from './failover-demo.js';
import {
  countByServer,
  exampleConfig,
  prepareRealServers,
  requestsThroughVip,
  startLabDaemon,
  startLabDirector,
  type LabBackend,
  type LabMode,
} from './modes.js';
import { DEFAULT_DASHBOARD_LISTEN, LAB_DASHBOARD_PORT } from './dashboard-forward.js';
import { LAB_ADDR } from './topology.js';

export type { LabMode } from './modes.js';

const MODE_TEXT: Record<LabMode, string> = {
  dr: 'DR (direct routing): the director rewrites only the MAC; real servers hold the VIP on lo and answer the client directly',
  nat: 'NAT (masquerading): the director rewrites the destination to the real server and the replies back to the VIP',
  tun: 'TUN (IPIP): the director encapsulates; real servers decapsulate (XDP, this kernel has no ipip) and answer directly',
};

/** Runs the demo on a lab that is up; writes to `out`; resolves to an exit code. */
export async function runDemo(lab: Lab, modes: LabMode[], out: (line: string) => void, backend: LabBackend = 'afpacket', requests = 9): Promise<number> {
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
  for (const mode of modes) {
    out('');
    out(`== ${MODE_TEXT[mode]}`);
    out(`   ulvs director on lb1, backend ${backend}, scheduler rr; client -> http://${LAB_ADDR.vip4}/`);
    const undo = await prepareRealServers(lab, mode);
    let director;
    try {
      director = await startLabDirector(lab, { mode, backend });
      const answers = await requestsThroughVip(lab, requests);
      answers.forEach((a, i) => out(`   request ${String(i + 1).padStart(2)}: answered by ${a || '(no answer)   <-- FAILED'}`));
      const counts = countByServer(answers);
      out(
        `   per real server: ${Object.entries(counts)
          .map(([k, v]) => `${k || 'failed'}=${v}`)
          .join('  ')}`,
      );
      if (counts['']) bad += counts[''];
    } catch (e) {
      out(`   FAILED: ${(e as Error).message}`);
      bad++;
    } finally {
      await director?.stop();
      await undo();
    }
  }
  out('');
  out("== VRRP: lb1 and lb2 both run `ulvs run -f keepalived.conf` (NAT; VRRP owns the VIP and the real servers' gateway)");
  try {
    bad += await runFailoverDemo(lab, out);
  } catch (e) {
    out(`   FAILED: ${(e as Error).message}`);
    bad++;
  }
  out('');
  out(bad === 0 ? 'demo complete: every request was answered' : `demo finished with ${bad} failure(s)`);
  return bad === 0 ? 0 : 1;
}

/**
 * Starts the director of the lab in `mode` (and the real servers' side) and leaves them running: the
 * daemon with the example keepalived.conf of the mode (VRRP, health checks, the data plane, the dashboard),
 * or `ulvs director` with the lab rules when the examples are not there.
 */
export async function startMode(lab: Lab, mode: LabMode, backend: LabBackend = 'afpacket'): Promise<string> {
  const logDir = `${LAB_STATE_DIR}/${lab.id}-logs`;
  mkdirSync(logDir, { recursive: true });
  await prepareRealServers(lab, mode, { detached: true, logDir });
  const example = exampleConfig(mode);
  if (example) {
    await lab.execOk('lb1', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await startLabDaemon(lab, example, { backend, logFile: `${logDir}/lb1-daemon.log`, metrics: `127.0.0.1:${LAB_DASHBOARD_PORT}` });
  } else await startLabDirector(lab, { mode, backend, detached: true, logFile: `${logDir}/lb1-director.log` });
  return [
    `lab '${lab.id}': ${MODE_TEXT[mode]}`,
    example
      ? `  ulvs run -f ${example} runs on lb1 (${backend}); log ${logDir}/lb1-daemon.log\n` +
        `  dashboard: http://127.0.0.1:${LAB_DASHBOARD_PORT}/ in ${lab.ns('lb1')}; on this host: ulvs lab dashboard${lab.id === 'lab' ? '' : ` --id ${lab.id}`}  (http://${DEFAULT_DASHBOARD_LISTEN}/)`
      : `  ulvs director runs on lb1 (${backend}); log ${logDir}/lb1-director.log`,
    `  try: ip netns exec ${lab.ns('client')} curl http://${LAB_ADDR.vip4}/`,
    `       ip netns exec ${lab.ns('rs1')} tcpdump -eni eth0 port 80`,
  ].join('\n');
}
