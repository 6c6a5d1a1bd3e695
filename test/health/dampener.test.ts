import t from 'tap';
import { initialCheckerState, migrateCheckerState, stepChecker, detectionBoundMs, type CheckerState } from '../../src/health/policy/dampener.js';

const cfg = { retry: 2, delayLoopMs: 1000, delayBeforeRetryMs: 300 };

function run(s: CheckerState, results: boolean[]) {
  const trans: Array<string | null> = [];
  const delays: number[] = [];
  for (const ok of results) {
    const st = stepChecker(s, cfg, ok);
    s = st.state;
    trans.push(st.transition);
    delays.push(st.nextDelayMs);
  }
  return { s, trans, delays };
}

t.test('an UP checker goes DOWN after retry+1 consecutive failures spaced by delay_before_retry', async (t) => {
  const start = initialCheckerState(false, cfg.retry);
  const { s: up } = run(start, [true]); // a first success resets the spent retries
  const r = run(up, [false, false, false]);
  t.same(r.trans, [null, null, 'down']);
  t.same(r.delays, [300, 300, 1000]);
  t.equal(r.s.up, false);
  t.equal(r.s.failures, 3);
});

t.test('a success in the middle of retries resets the count', async (t) => {
  const { s: up } = run(initialCheckerState(false, cfg.retry), [true]);
  const r = run(up, [false, false, true, false, false]);
  t.same(r.trans, [null, null, null, null, null]);
  t.equal(r.s.up, true);
});

t.test('one success brings a DOWN checker UP', async (t) => {
  const { s: down } = run(initialCheckerState(false, cfg.retry), [false]);
  t.equal(down.up, false, 'initially one failure is enough (retries pre-spent)');
  const r = run(down, [false, false, false, true]);
  t.same(r.trans, [null, null, null, 'up']);
});

t.test('alpha starts DOWN and needs one success', async (t) => {
  const s = initialCheckerState(true, cfg.retry);
  t.equal(s.up, false);
  t.same(run(s, [true]).trans, ['up']);
});

t.test('retry 0 goes DOWN on the first failure', async (t) => {
  const c0 = { ...cfg, retry: 0 };
  const up = stepChecker(initialCheckerState(false, 0), c0, true).state;
  const st = stepChecker(up, c0, false);
  t.equal(st.transition, 'down');
  t.equal(st.nextDelayMs, 1000);
});

t.test('migration across reload keeps state and caps spent retries', async (t) => {
  const down = { up: false, retryIt: 0, hasRun: true, failures: 4 };
  const m = migrateCheckerState(down, 3);
  t.equal(m.up, false);
  t.equal(stepChecker(m, { ...cfg, retry: 3 }, true).transition, 'up');
  const up = { up: true, retryIt: 2, hasRun: true, failures: 2 };
  const m2 = migrateCheckerState(up, 1);
  t.equal(m2.retryIt, 1);
  t.equal(stepChecker(m2, { ...cfg, retry: 1 }, false).transition, 'down', 'one more failure is enough');
});

t.test('detection bound formula', async (t) => {
  t.equal(detectionBoundMs({ retry: 1, delayLoopMs: 1000, delayBeforeRetryMs: 500 }, 200), 1000 + 400 + 500);
});
