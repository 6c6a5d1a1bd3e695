import t from 'tap';
import {
  initialMachine,
  nextDeadlineMs,
  step,
  type MachineParams,
  type MachineState,
  type MachineEvent,
  type MachineAction,
} from '../../src/vrrp/state-machine.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';

const base: MachineParams = {
  version: 2,
  advertIntMs: 1000,
  basePriority: 100,
  nopreempt: false,
  preemptDelayMs: 0,
  downTimerAdverts: 3,
  primaryIp: '10.0.0.1',
};

/** Fake clock driver: feeds events and ticks at each deadline. */
class Clock {
  now = 0;
  log: MachineAction[] = [];
  constructor(public s: MachineState) {}
  ev(e: MachineEvent): MachineAction[] {
    const r = step(this.s, e, this.now);
    this.s = r.state;
    this.log.push(...r.actions);
    return r.actions;
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const d = nextDeadlineMs(this.s);
      if (d === undefined || d > end) break;
      this.now = Math.max(this.now, d);
      this.ev({ type: 'tick' });
    }
    this.now = end;
  }
}

t.test('formulas match keepalived §6.1 table', async (t) => {
  t.equal(skewTimeMs(2, 100, 1000), 609.375);
  t.equal(masterDownIntervalMs(2, 100, 1000), 3609.375);
  t.equal(masterDownIntervalMs(2, 200, 1000), 3218.75);
  t.equal(skewTimeMs(2, 100, 5000), 609.375, 'v2 skew does not scale with advert_int');
  t.equal(skewTimeMs(3, 100, 100), 60.937);
  t.equal(masterDownIntervalMs(3, 100, 100), 360.937);
  t.equal(skewTimeMs(3, 100, 10), 6.093);
  t.equal(skewTimeMs(3, 255, 1000), 3.906);
});

t.test('alone: BACKUP then MASTER after master down interval', async (t) => {
  const c = new Clock(initialMachine(base));
  c.ev({ type: 'start' });
  t.equal(c.s.state, 'BACKUP');
  c.advance(3609);
  t.equal(c.s.state, 'BACKUP');
  c.advance(1);
  t.equal(c.s.state, 'MASTER');
  t.match(c.log, [
    { type: 'transition', from: 'INIT', to: 'BACKUP' },
    { type: 'transition', from: 'BACKUP', to: 'MASTER' },
    { type: 'send-advert', priority: 100 },
    { type: 'garp', kind: 'master' },
  ]);
  c.log = [];
  c.advance(3000);
  t.equal(c.log.filter((a) => a.type === 'send-advert').length, 3, 'one advert per interval');
});

t.test('owner 255 goes MASTER at once and ignores nopreempt', async (t) => {
  const c = new Clock(initialMachine({ ...base, basePriority: 255, nopreempt: true }));
  c.ev({ type: 'start' });
  t.equal(c.s.state, 'MASTER');
  c.ev({ type: 'priority', priority: 10 });
  c.advance(1000);
  t.match(c.log.at(-1), { type: 'send-advert', priority: 255 }, 'owner priority cannot be lowered');
});

t.test('backup keeps resetting on master adverts; priority 0 gives skew-only takeover', async (t) => {
  const c = new Clock(initialMachine(base));
  c.ev({ type: 'start' });
  for (let i = 0; i < 10; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 150, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'BACKUP');
  c.ev({ type: 'advert', priority: 0, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  t.equal(nextDeadlineMs(c.s), c.now + 609.375);
  c.advance(610);
  t.equal(c.s.state, 'MASTER');
});

t.test('v3 backup adopts the master interval; back to its own as master', async (t) => {
  const c = new Clock(initialMachine({ ...base, version: 3, advertIntMs: 1000 }));
  c.ev({ type: 'start' });
  c.ev({ type: 'advert', priority: 150, maxAdverIntMs: 100, srcIp: '10.0.0.2' });
  t.equal(c.s.masterAdverIntMs, 100);
  t.equal(nextDeadlineMs(c.s), c.now + 360.937);
  c.advance(361);
  t.equal(c.s.state, 'MASTER');
  t.equal(c.s.masterAdverIntMs, 1000);
});

t.test('v2 backup keeps its own interval', async (t) => {
  const c = new Clock(initialMachine(base));
  c.ev({ type: 'start' });
  c.ev({ type: 'advert', priority: 150, maxAdverIntMs: 3000, srcIp: '10.0.0.2' });
  t.equal(c.s.masterAdverIntMs, 1000);
});

t.test('preempt: a higher-priority backup ignores a lower master and takes over', async (t) => {
  const c = new Clock(initialMachine({ ...base, basePriority: 200 }));
  c.ev({ type: 'start' });
  for (let i = 0; i < 4; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'MASTER');
});

t.test('nopreempt: a higher-priority backup stays BACKUP while a lower master advertises', async (t) => {
  const c = new Clock(initialMachine({ ...base, basePriority: 200, nopreempt: true }));
  c.ev({ type: 'start' });
  for (let i = 0; i < 10; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'BACKUP');
});

t.test('preempt_delay: waits the delay before preempting a lower master', async (t) => {
  const c = new Clock(initialMachine({ ...base, basePriority: 200, preemptDelayMs: 10000 }));
  c.ev({ type: 'start' });
  for (let i = 0; i < 8; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'BACKUP', 'still inside the delay');
  for (let i = 0; i < 8; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'MASTER', 'preempted after the delay');
});

t.test('master yields to higher priority, and to equal priority with higher IP only', async (t) => {
  const c = new Clock(initialMachine({ ...base, basePriority: 255 }));
  c.ev({ type: 'start' });
  const m = new Clock(initialMachine(base));
  m.ev({ type: 'start' });
  m.advance(4000);
  t.equal(m.s.state, 'MASTER');
  m.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.0' });
  t.equal(m.s.state, 'MASTER', 'equal priority, lower IP: stays');
  t.match(m.log.at(-1), { type: 'garp', kind: 'lower-prio' });
  m.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.9' });
  t.equal(m.s.state, 'BACKUP', 'equal priority, higher IP: yields');
  m.advance(4000);
  m.ev({ type: 'advert', priority: 101, maxAdverIntMs: 1000, srcIp: '10.0.0.0' });
  t.equal(m.s.state, 'BACKUP', 'higher priority: yields');
  t.ok(c);
});

t.test('master receiving priority 0 answers at once', async (t) => {
  const m = new Clock(initialMachine(base));
  m.ev({ type: 'start' });
  m.advance(4000);
  const acts = m.ev({ type: 'advert', priority: 0, maxAdverIntMs: 1000, srcIp: '10.0.0.9' });
  t.same(acts, [{ type: 'send-advert', priority: 100 }]);
});

t.test('fault: master sends priority 0 and goes FAULT; clearing returns to BACKUP (owner to MASTER)', async (t) => {
  const m = new Clock(initialMachine(base));
  m.ev({ type: 'start' });
  m.advance(4000);
  const acts = m.ev({ type: 'fault', fault: true, reason: 'eth0 down' });
  t.match(acts, [
    { type: 'send-advert', priority: 0 },
    { type: 'transition', from: 'MASTER', to: 'FAULT' },
  ]);
  m.advance(10000);
  t.equal(m.s.state, 'FAULT', 'no timers in FAULT');
  m.ev({ type: 'fault', fault: false });
  t.equal(m.s.state, 'BACKUP');
  const o = new Clock(initialMachine({ ...base, basePriority: 255 }));
  o.ev({ type: 'fault', fault: true });
  o.ev({ type: 'start' });
  t.equal(o.s.state, 'FAULT', 'fault at start');
  o.ev({ type: 'fault', fault: false });
  t.equal(o.s.state, 'MASTER');
});

t.test('shutdown: master sends priority 0', async (t) => {
  const m = new Clock(initialMachine(base));
  m.ev({ type: 'start' });
  m.advance(4000);
  const acts = m.ev({ type: 'shutdown' });
  t.match(acts, [
    { type: 'send-advert', priority: 0 },
    { type: 'transition', from: 'MASTER', to: 'INIT' },
  ]);
  t.equal(nextDeadlineMs(m.s), undefined);
});

t.test('priority changes are clamped to 1..254 and carried in adverts', async (t) => {
  const m = new Clock(initialMachine(base));
  m.ev({ type: 'start' });
  m.advance(4000);
  m.ev({ type: 'priority', priority: 400 });
  m.log = [];
  m.advance(1000);
  t.match(m.log, [{ type: 'send-advert', priority: 254 }]);
  m.ev({ type: 'priority', priority: -5 });
  t.equal(m.s.priority, 1);
});

t.test('step never mutates its input', async (t) => {
  const s = initialMachine(base);
  const copy = JSON.stringify(s);
  step(s, { type: 'start' }, 0);
  t.equal(JSON.stringify(s), copy);
});

t.test('hold-preempt (connection sync catching up): no preemption, whatever the priority, until released', async (t) => {
  const c = new Clock({ ...initialMachine({ ...base, basePriority: 200 }), holdPreempt: true });
  c.ev({ type: 'start' });
  for (let i = 0; i < 10; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'BACKUP', 'held: the lower master is accepted');
  c.ev({ type: 'hold-preempt', hold: false });
  for (let i = 0; i < 5; i++) {
    c.advance(1000);
    c.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  }
  t.equal(c.s.state, 'MASTER', 'released: preempts the lower master');

  const owner = new Clock({ ...initialMachine({ ...base, basePriority: 255 }), holdPreempt: true });
  owner.ev({ type: 'start' });
  t.equal(owner.s.state, 'BACKUP', 'even the address owner starts BACKUP while held');
  owner.advance(200);
  owner.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  owner.advance(900);
  t.equal(owner.s.state, 'BACKUP');
  owner.ev({ type: 'hold-preempt', hold: false });
  owner.advance(1000);
  owner.ev({ type: 'advert', priority: 100, maxAdverIntMs: 1000, srcIp: '10.0.0.2' });
  owner.advance(3000);
  t.equal(owner.s.state, 'MASTER', 'released: the owner takes over');

  const alone = new Clock({ ...initialMachine({ ...base, basePriority: 200 }), holdPreempt: true });
  alone.ev({ type: 'start' });
  alone.advance(4000);
  t.equal(alone.s.state, 'MASTER', 'held but no master heard: the Master_Down_Timer still makes it MASTER');
});
