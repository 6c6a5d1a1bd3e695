// track_bfd's effect on an instance (keepalived vrrp_track.c): weight 0 = FAULT while the session is not
// Up, W < 0 added while down, W > 0 only while up, reverse flips both; the reference's weight wins over
// the bfd_instance's. Sessions here are not running (so down); the FRR lab test drives real ones.
import t from 'tap';
import { FileProcessTrackers } from '../../src/vrrp/file-process-trackers.js';
import type { VrrpConfig } from '../../src/vrrp/types.js';

t.test('a session that is not Up', async (t) => {
  const tr = new FileProcessTrackers(
    () => {},
    () => {},
  );
  const cfg: VrrpConfig = {
    instances: [],
    scripts: [],
    syncGroups: [],
    bfdInstances: [
      { name: 'b0', weight: 0 },
      { name: 'bneg', weight: -30 },
      { name: 'bpos', weight: 30 },
    ],
  };
  await tr.apply(cfg);
  t.teardown(() => tr.stop());
  t.match(tr.effect([], [], [{ name: 'b0' }]), { fault: true, delta: 0, reasons: ['track_bfd b0'] }, 'weight 0: FAULT');
  t.match(tr.effect([], [], [{ name: 'b0', reverse: true }]), { fault: false, delta: 0 }, 'weight 0 reverse: down is fine');
  t.match(tr.effect([], [], [{ name: 'bneg' }]), { fault: false, delta: -30 }, 'negative block weight applies while down');
  t.match(tr.effect([], [], [{ name: 'bpos' }]), { fault: false, delta: 0 }, 'positive weight only while up');
  t.match(tr.effect([], [], [{ name: 'bpos', reverse: true }]), { fault: false, delta: -30 }, 'positive weight reversed: subtracted while down');
  t.match(tr.effect([], [], [{ name: 'b0', weight: -10 }]), { fault: false, delta: -10 }, "the reference's weight overrides the block's");
  t.match(tr.effect([], [], [{ name: 'unknown' }]), { fault: false, delta: 0 }, 'a name that is not a bfd_instance is ignored');
});
