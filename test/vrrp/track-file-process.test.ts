// track_file values and vrrp_track_process matching/quorum/delays, keepalived's rules (trackers/track_file.c,
// core/track_process.c), without timers of the real kind: the process scan is a fake.
import t from 'tap';
import { fileEffect, parseTrackValue } from '../../src/vrrp/track-file.js';
import { processMatches, ProcessTracker, type ProcInfo } from '../../src/vrrp/track-process.js';
import type { VrrpTrackProcessSpec } from '../../src/vrrp/types.js';

t.test('file values: strtol, then value × weight, FAULT at -254 or (weight 0) on non-zero', async (t) => {
  t.equal(parseTrackValue('12\n'), 12);
  t.equal(parseTrackValue('  -7 apples'), -7);
  t.equal(parseTrackValue('0x10'), 16);
  t.equal(parseTrackValue('garbage'), 0);
  t.same(fileEffect(3, 10, false), { delta: 30, fault: false });
  t.same(fileEffect(3, 10, true), { delta: -30, fault: false });
  t.same(fileEffect(100, 10, false), { delta: 253, fault: false }, 'clamped to 253');
  t.same(fileEffect(-26, 10, false), { delta: 0, fault: true }, '-260 → FAULT');
  t.same(fileEffect(1, 0, false), { delta: 0, fault: true }, 'weight 0: non-zero is FAULT');
  t.same(fileEffect(0, 0, false), { delta: 0, fault: false });
  t.same(fileEffect(0, 0, true), { delta: 0, fault: true }, 'weight 0 reverse: zero is FAULT');
});

const spec = (o: Partial<VrrpTrackProcessSpec> = {}): VrrpTrackProcessSpec => ({
  name: 'p',
  process: 'haproxy',
  params: [],
  weight: 1,
  quorum: 1,
  forkDelayMs: 0,
  terminateDelayMs: 0,
  ...o,
});

t.test('process matching: comm exactly, parameters exact / partial / initial, full_command', async (t) => {
  const p: ProcInfo = { comm: 'haproxy', argv: ['/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg'] };
  t.ok(processMatches(spec(), p));
  t.notOk(processMatches(spec({ process: 'haprox' }), p), 'no substring match (unlike pgrep)');
  t.ok(processMatches(spec({ params: ['-f', '/etc/haproxy.cfg'] }), p));
  t.notOk(processMatches(spec({ params: ['-f'] }), p), 'exact: all parameters');
  t.ok(processMatches(spec({ params: ['-f'], paramMatch: 'partial' }), p));
  t.ok(processMatches(spec({ params: ['-f', '/etc/hap'], paramMatch: 'initial' }), p));
  t.notOk(processMatches(spec({ paramMatch: 'exact' }), p), 'param_match without parameters: must have none');
  t.ok(processMatches(spec({ process: '/usr/sbin/haproxy', fullCommand: true }), p));
});

t.test('quorum, quorum_max and terminate_delay', async (t) => {
  let procs: ProcInfo[] = [
    { comm: 'nginx', argv: [] },
    { comm: 'nginx', argv: [] },
  ];
  const tr = new ProcessTracker([spec({ name: 'n', process: 'nginx', quorum: 2, quorumMax: 3, terminateDelayMs: 150 })], async () => procs, 20);
  const changes: Array<[string, boolean]> = [];
  tr.on('change', (n: string, up: boolean) => changes.push([n, up]));
  await tr.start();
  t.equal(tr.up.get('n'), true, 'two processes: quorum 2 reached at start');
  procs = [procs[0]!];
  await new Promise((r) => setTimeout(r, 60));
  t.equal(tr.up.get('n'), true, 'within terminate_delay: still up');
  procs = [procs[0]!, procs[0]!];
  await new Promise((r) => setTimeout(r, 200));
  t.same(changes, [], 'back before the delay ran out: no change');
  procs = Array(4).fill(procs[0]);
  await new Promise((r) => setTimeout(r, 250));
  t.same(changes, [['n', false]], 'four processes exceed quorum_max 3: down after the delay');
  tr.stop();
});
