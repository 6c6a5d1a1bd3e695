// The kernel's ip_vs_sync_conn_needed as a scan decides it: sync_threshold / sync_period by in-packet
// count, TCP states and forced state changes, sync_refresh_period with sync_retries, templates.
import t from 'tap';
import { SYNC_SEND_DEFAULTS, syncDue, type SyncSendEntry, type SyncSentMark } from '../../src/sync/send-rules.js';

const ES = 1;
const SYN_RECV = 3;
const FIN_WAIT = 4;
const CLOSE_WAIT = 7;
const udp = (inPkts: number, expiresMs = 300_000): SyncSendEntry => ({ template: false, proto: 17, state: 0, inPkts, expiresMs, timeoutMs: 300_000 });
const tcp = (state: number, inPkts: number, expiresMs = 900_000): SyncSendEntry => ({
  template: false,
  proto: 6,
  state,
  inPkts,
  expiresMs,
  timeoutMs: 900_000,
});

/** Feeds counts one scan at a time; returns the counts at which the entry was sent. */
function sendsAt(p: typeof SYNC_SEND_DEFAULTS, counts: number[], mk: (n: number) => SyncSendEntry): number[] {
  let last: SyncSentMark | undefined;
  const out: number[] = [];
  for (const n of counts) {
    const m = syncDue(p, mk(n), last, 1000 * n);
    if (m) {
      last = m;
      out.push(n);
    }
  }
  return out;
}

t.test('defaults (3 50): sent at 3, 53, 103 in-packets, as count % 50 == 3', async (t) => {
  t.same(
    sendsAt(SYNC_SEND_DEFAULTS, [1, 2, 3, 4, 52, 53, 54, 103, 104], (n) => udp(n)),
    [3, 53, 103],
  );
  t.same(
    sendsAt(SYNC_SEND_DEFAULTS, [2, 10, 40, 60, 200], (n) => udp(n)),
    [10, 60, 200],
    'a scan sends when the count went past such a point since the last send',
  );
});

t.test('sync_period 0 (no refresh period): once, at the threshold', async (t) => {
  t.same(
    sendsAt({ ...SYNC_SEND_DEFAULTS, period: 0 }, [1, 3, 4, 53, 500], (n) => udp(n)),
    [3],
  );
});

t.test('TCP: only in the synced states; a change into a non-ESTABLISHED one is sent at once', async (t) => {
  const p = SYNC_SEND_DEFAULTS;
  t.notOk(syncDue(p, tcp(SYN_RECV, 10), undefined, 0), 'SYN_RECV is never sent');
  t.notOk(syncDue(p, tcp(ES, 2), undefined, 0), 'ESTABLISHED below the threshold waits');
  const first = syncDue(p, tcp(ES, 3), undefined, 0);
  t.ok(first, 'ESTABLISHED at the threshold');
  t.notOk(syncDue(p, tcp(ES, 4), first, 10), 'nothing new');
  const fin = syncDue(p, tcp(FIN_WAIT, 5), first, 20);
  t.ok(fin, 'ESTABLISHED -> FIN_WAIT: forced, whatever the count');
  t.notOk(syncDue(p, tcp(FIN_WAIT, 6), fin, 30), 'FIN_WAIT again: not forced');
  t.ok(syncDue(p, tcp(CLOSE_WAIT, 2), undefined, 0), 'first seen in CLOSE_WAIT (old state NONE): forced');
});

t.test('sync_refresh_period with sync_retries: a busy entry is not resent while its reported expiry moves less', async (t) => {
  const p = { threshold: 3, period: 0, refreshMs: 60_000, retries: 0 };
  const a = syncDue(p, udp(3, 300_000), undefined, 0)!;
  t.ok(a, 'sent the first time');
  t.notOk(syncDue(p, udp(500, 330_000), a, 30_000), 'expiry moved 30 s < min(60 s, 150 s): not resent');
  t.ok(syncDue(p, udp(900, 370_000), a, 70_000), 'moved 70 s: resent');
  const r = { ...p, retries: 2 };
  const b = syncDue(r, udp(3, 300_000), undefined, 0)!;
  t.notOk(syncDue(r, udp(4, 301_000), b, 1_000), 'a retry waits refresh/8 = 7.5 s');
  const b1 = syncDue(r, udp(5, 308_000), b, 8_000);
  t.equal(b1?.retries, 1, 'first retry');
  const b2 = syncDue(r, udp(6, 317_000), b1, 17_000);
  t.equal(b2?.retries, 2, 'second retry');
  t.notOk(syncDue(r, udp(7, 326_000), b2, 26_000), 'retries used up');
});

t.test('templates skip the count; without a refresh period they are resent when their expiry moved 10 s', async (t) => {
  const p = SYNC_SEND_DEFAULTS;
  const tpl = (expiresMs: number): SyncSendEntry => ({ template: true, proto: 6, state: 0, inPkts: 0, expiresMs, timeoutMs: 300_000 });
  const a = syncDue(p, tpl(300_000), undefined, 0);
  t.ok(a, 'a new template is sent at once');
  t.notOk(syncDue(p, tpl(305_000), a, 5_000));
  t.ok(syncDue(p, tpl(312_000), a, 12_000));
});
