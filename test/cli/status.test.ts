// `ulvs status` health lines: a real server without a checker says so (it was printed "up" like a checked
// one), a checker still in its warmup says its first check is pending, and a running one gives its counts.
import t from 'tap';
import { healthLine } from '../../src/cli/commands/status.js';

const base = { service: 'TCP 198.18.0.100:80', realServer: '198.18.0.21:80', alive: true, inService: true, checks: 0, failures: 0, firstCheckPending: false };

t.test('health lines', async (t) => {
  t.equal(healthLine({ ...base, checkers: [] }), 'health TCP 198.18.0.100:80 198.18.0.21:80: no checker (always up)');
  t.equal(
    healthLine({ ...base, checkers: ['TCP_CHECK'], firstCheckPending: true }),
    'health TCP 198.18.0.100:80 198.18.0.21:80: up (TCP_CHECK: first check pending (warmup up to delay_loop))',
  );
  t.equal(
    healthLine({ ...base, checkers: ['TCP_CHECK'], alive: false, inService: false, checks: 14, failures: 6 }),
    'health TCP 198.18.0.100:80 198.18.0.21:80: down (out of service) (TCP_CHECK: 14 check(s), 6 failed)',
  );
});
