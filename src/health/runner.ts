/**
 * Stand-alone health runner: reads JSON lines on stdin ({"op":"start"|"reload","specs":[...]},
 * {"op":"vip","address":"...","present":true}, {"op":"stop"}) and writes every manager event as a JSON
 * line on stdout ({"event":"change",...}). Lets lab tests and the benchmark run checks inside a network
 * namespace (`ip netns exec NS node runner.js`), since a Node process cannot change namespace itself.
 */
import { createInterface } from 'node:readline';
import { HealthManager } from './manager.js';

/** Runs the JSON-lines protocol on the given streams until stdin ends or a stop command. */
export function runJsonLines(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): HealthManager {
  const m = new HealthManager();
  const out = (event: string) => (payload: unknown) =>
    output.write(JSON.stringify({ event, ...(payload as object), tMs: Math.round(performance.now()) }) + '\n');
  for (const e of ['change', 'quorum', 'sorry', 'attempt', 'log']) m.on(e, out(e));
  const rl = createInterface({ input });
  rl.on('line', (line) => {
    let cmd: { op: string; specs?: unknown; address?: string; present?: boolean };
    try {
      cmd = JSON.parse(line);
    } catch {
      output.write(JSON.stringify({ event: 'error', message: 'bad JSON line' }) + '\n');
      return;
    }
    if (cmd.op === 'start') m.start(cmd.specs as never);
    else if (cmd.op === 'reload') m.reload(cmd.specs as never);
    else if (cmd.op === 'vip') m.setVipPresent(cmd.address ?? '', !!cmd.present);
    else if (cmd.op === 'stop') void m.stop().then(() => rl.close());
    output.write(JSON.stringify({ event: 'ack', op: cmd.op }) + '\n');
  });
  rl.on('close', () => void m.stop().then(() => process.exit(0)));
  return m;
}

if (import.meta.url === `file://${process.argv[1]}`) runJsonLines(process.stdin, process.stdout);
