#!/usr/bin/env node
// A local attacker for the chaos cases (run as any user, e.g. `setpriv --reuid=nobody ...`):
//   connect  tcp HOST:PORT | unix PATH  COUNT MS   hold COUNT connections open for MS, reopening any the server closes
//   pipeline unix PATH COUNT MS                    write COUNT control-socket requests, never read, hold MS, disconnect
// Prints one JSON line: what it managed (peak open connections, connects, errors by code).
import net from 'node:net';

const [mode, kind, target, countArg, msArg] = process.argv.slice(2);
const count = Number(countArg);
const ms = Number(msArg);
const addr = kind === 'tcp' ? { host: target.split(':')[0], port: Number(target.split(':')[1]) } : { path: target };
const errors = {};
let open = 0;
let peak = 0;
let connects = 0;
let stopping = false;
const sockets = new Set();

function connectOne() {
  if (stopping) return;
  const s = net.createConnection(addr);
  sockets.add(s);
  let connected = false;
  s.on('connect', () => { connected = true; connects++; open++; peak = Math.max(peak, open); });
  s.on('data', () => {});
  s.on('error', (e) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; });
  s.on('close', (hadError) => {
    sockets.delete(s);
    if (connected) open--;
    // An attacker reconnects at once (errors back off a little so the loop does not spin).
    if (!stopping) setTimeout(connectOne, hadError ? 20 : 0);
  });
  return s;
}

function done() {
  stopping = true;
  for (const s of sockets) s.destroy();
  process.stdout.write(JSON.stringify({ mode, peak, connects, errors }) + '\n');
  setTimeout(() => process.exit(0), 50);
}

if (mode === 'connect') {
  for (let i = 0; i < count; i++) connectOne();
  setTimeout(done, ms);
} else if (mode === 'pipeline') {
  const s = net.createConnection(addr, () => {
    connects++;
    const line = (i) => JSON.stringify({ v: 1, id: i, method: 'list' }) + '\n';
    let i = 0;
    const pump = () => { while (i < count) { if (!s.write(line(i++))) { s.once('drain', pump); return; } } };
    pump();
    s.pause(); // never read an answer
  });
  s.on('error', (e) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; });
  setTimeout(() => { s.destroy(); process.stdout.write(JSON.stringify({ mode, connects, errors, written: 'see server' }) + '\n'); process.exit(0); }, ms);
} else {
  process.stderr.write('usage: chaos-flood.mjs connect|pipeline tcp HOST:PORT|unix PATH COUNT MS\n');
  process.exit(2);
}
