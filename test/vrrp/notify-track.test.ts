import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { NotifyQueue, queueNotify } from '../../src/vrrp/notify.js';
import { ScriptTracker, splitScriptLine, trackEffect } from '../../src/vrrp/track-script.js';
import { garpFrame, unsolicitedNaFrame } from '../../src/vrrp/garp.js';

t.test('notify: keepalived arguments, strict order, a hung script is killed and does not block the rest', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log');
  const script = path.join(dir, 'n.sh');
  writeFileSync(script, `#!/bin/sh\n[ "$1" = hang ] && sleep 30\n[ "$1" = slow ] && sleep 0.3\necho "$*" >> ${log}\n`, { mode: 0o755 });
  const done: number[] = [];
  const q = new NotifyQueue((r) => done.push(r.code));
  q.enqueue([script, 'slow'], 5000);
  queueNotify(q, { master: { argv: [script, 'm'] }, generic: { argv: [script] } }, 'INSTANCE', 'VI_1', 'MASTER', 150, 5000);
  q.enqueue([script, 'hang'], 300);
  queueNotify(q, { backup: { argv: [script, 'b'] }, generic: { argv: [script] } }, 'GROUP', 'G1', 'BACKUP', 150, 5000);
  await q.drain();
  t.same(
    readFileSync(log, 'utf8').trim().split('\n'),
    ['slow', 'm', 'INSTANCE VI_1 MASTER 150', 'b', 'GROUP G1 BACKUP 0'],
    'in order, generic after specific, groups report priority 0',
  );
  t.equal(done.length, 6);
  t.not(done[3], 0, 'the hung script was killed');
});

t.test('vrrp_script rise/fall and keepalived weight rules', async (t) => {
  const s = new ScriptTracker({ name: 'chk', script: 'true', intervalMs: 1000, timeoutMs: 1000, weight: -20, rise: 2, fall: 3 });
  const changes: boolean[] = [];
  s.on('change', (ok: boolean) => changes.push(ok));
  t.equal(s.ok, true, 'starts OK');
  s.record(false);
  s.record(false);
  t.equal(s.ok, true, 'two failures < fall 3');
  s.record(false);
  t.equal(s.ok, false, 'third failure: failed');
  s.record(true);
  t.equal(s.ok, false, 'one success < rise 2');
  s.record(true);
  t.equal(s.ok, true);
  t.same(changes, [false, true]);
  const spec = (weight: number) => ({ name: 'x', script: 'true', intervalMs: 1, timeoutMs: 1, weight, rise: 1, fall: 1 });
  t.same(trackEffect([{ ref: { name: 'x' }, spec: spec(0), ok: false }], []), { delta: 0, fault: true, reasons: ['script x'] }, 'weight 0 failed: FAULT');
  t.match(trackEffect([{ ref: { name: 'x' }, spec: spec(10), ok: true }], []), { delta: 10, fault: false }, 'positive weight added while OK');
  t.match(trackEffect([{ ref: { name: 'x' }, spec: spec(10), ok: false }], []), { delta: 0 }, 'positive weight: nothing while failed');
  t.match(trackEffect([{ ref: { name: 'x' }, spec: spec(-30), ok: false }], []), { delta: -30 }, 'negative weight subtracted while failed');
  t.match(trackEffect([{ ref: { name: 'x', weight: 5 }, spec: spec(-30), ok: true }], []), { delta: 5 }, 'track_script weight overrides');
  t.match(trackEffect([], [{ spec: { name: 'eth1', weight: 0 }, up: false }]), { fault: true }, 'unweighted track_interface down: FAULT');
  t.match(trackEffect([], [{ spec: { name: 'eth1', weight: -50 }, up: false }]), { delta: -50, fault: false });
});

t.test('script lines split like keepalived', async (t) => {
  t.same(splitScriptLine(`"/usr/bin/check a" 'b c' d\\ e f`), ['/usr/bin/check a', 'b c', 'd e', 'f']);
});

t.test('GARP and unsolicited NA frames', async (t) => {
  const g = garpFrame('02:00:00:00:00:01', '10.0.0.5');
  t.equal(g.length, 42);
  t.same([...g.subarray(12, 14)], [0x08, 0x06]);
  t.same([...g.subarray(28, 32)], [10, 0, 0, 5], 'sender IP = VIP');
  t.same([...g.subarray(38, 42)], [10, 0, 0, 5], 'target IP = VIP');
  const na = unsolicitedNaFrame('02:00:00:00:00:01', 'fe80::1', '2001:db8::5');
  t.equal(na.length, 86);
  t.equal(na[14 + 40], 136, 'ICMPv6 neighbour advertisement');
  t.equal(na[14 + 7], 255, 'hop limit 255');
  // Verify the ICMPv6 checksum sums to 0xffff over pseudo-header + message.
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum += (na[22 + i] << 8) | na[23 + i];
  sum += 32 + 58;
  for (let i = 0; i < 32; i += 2) sum += (na[54 + i] << 8) | na[55 + i];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  t.equal(sum, 0xffff, 'checksum valid');
});
