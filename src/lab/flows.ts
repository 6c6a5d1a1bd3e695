/**
 * Long-lived flows for the ECMP lab: run in the client's namespace, it opens `--count` keep-alive HTTP
 * connections to the VIP (one socket each) and answers commands on stdin with one JSON line each:
 * `round` asks once on every connection -> {"round":[{"port":P,"rs":"rs2"}...]} (rs '' = failed; a
 * port that changed means the connection broke and was opened again); `new K` opens K fresh one-request
 * connections -> {"new":[...]}; `quit` closes everything. `node dist/lab/flows.js --vip V --count N`.
 */
import http from 'node:http';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

/** One answer: the client port the request went out on and the real server that answered. */
export interface FlowAnswer {
  port: number;
  rs: string;
}

function ask(vip: string, port: number, agent: http.Agent | false, timeoutMs: number): Promise<FlowAnswer> {
  return new Promise((resolve) => {
    let local = 0;
    const req = http.get({ host: vip, port, path: '/', agent, timeout: timeoutMs, headers: agent ? {} : { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ port: local, rs: body.trim() }));
      res.on('error', () => resolve({ port: local, rs: '' }));
    });
    req.on('socket', (s) => {
      local = s.localPort ?? 0;
      s.once('connect', () => {
        local = s.localPort ?? 0;
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ port: local, rs: '' }));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { vip: { type: 'string' }, port: { type: 'string', default: '80' }, count: { type: 'string', default: '100' } } });
  const vip = values.vip!;
  const port = Number(values.port);
  const agents = Array.from({ length: Number(values.count) }, () => new http.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 }));
  const round = (): Promise<FlowAnswer[]> => Promise.all(agents.map((a) => ask(vip, port, a, 5000)));
  const first = await round();
  process.stdout.write(`${JSON.stringify({ ready: first })}\n`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'round') process.stdout.write(`${JSON.stringify({ round: await round() })}\n`);
    else if (cmd === 'new') {
      const n = Number(arg ?? 10);
      const out: FlowAnswer[] = [];
      for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => ask(vip, port, false, 5000)))));
      process.stdout.write(`${JSON.stringify({ new: out })}\n`);
    } else if (cmd === 'quit') break;
  }
  for (const a of agents) a.destroy();
  process.exit(0);
}

if (process.argv[1]?.endsWith('flows.js') || process.argv[1]?.endsWith('flows.ts')) void main();
