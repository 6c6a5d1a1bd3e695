// lvs_sync_daemon following a VRRP instance: the role follows MASTER/other, and preemption by the
// instance is held from the start and each time the director starts receiving, released once its
// backup daemon is caught up (here: bulk off, so at once), and on stop.
import t from 'tap';
import type { SyncTablePort } from '../../src/control/conn-sync.js';
import { SyncManager } from '../../src/control/sync-manager.js';

const table: SyncTablePort = { scanSync: () => 0, installSync: () => 'no-service' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('holds preemption until caught up; the role follows the instance', async (t) => {
  const holds: Array<[string, boolean]> = [];
  const m = new SyncManager(
    () => table,
    () => {},
    (i, h) => holds.push([i, h]),
  );
  let state = 'BACKUP';
  const sent: Buffer[] = [];
  const options = { mcastInterface: 'lo', syncId: 1, periodMs: 0, bulk: false, transport: { send: (b: Buffer) => sent.push(b) } } as never;
  m.followVrrp({ instance: 'VI_1', options }, () => state);
  await sleep(20);
  t.same(
    holds,
    [
      ['VI_1', true],
      ['VI_1', true],
      ['VI_1', false],
    ],
    'held at once, again as the backup daemon starts, released once it is caught up',
  );
  t.same(
    m.counters().map((c) => [c.state, c.caughtUp]),
    [['backup', true]],
  );
  holds.length = 0;
  state = 'MASTER';
  await sleep(350);
  t.same(
    m.counters().map((c) => c.state),
    ['master'],
    'MASTER: the master daemon runs',
  );
  t.same(holds, [['VI_1', false]]);
  holds.length = 0;
  state = 'BACKUP';
  await sleep(350);
  t.same(
    m.counters().map((c) => c.state),
    ['backup'],
  );
  t.same(
    holds,
    [
      ['VI_1', true],
      ['VI_1', false],
    ],
    'receiving again: held until caught up',
  );
  holds.length = 0;
  m.stopAll();
  t.same(holds, [['VI_1', false]], 'stopping releases the hold');
  t.same(m.counters(), []);
});
