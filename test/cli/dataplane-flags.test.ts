import t from 'tap';
import { coalesceOption } from '../../src/cli/dataplane-flags.js';

t.test('--afxdp-coalesce-us', async (t) => {
  t.equal(coalesceOption(undefined), undefined, 'absent: the default (off)');
  t.equal(coalesceOption('0'), 0);
  t.equal(coalesceOption('1000'), 1000);
  t.equal(coalesceOption('100000'), 100000);
  for (const bad of ['-1', '1.5', 'x', '', '100001'])
    t.throws(() => coalesceOption(bad), /--afxdp-coalesce-us must be an integer from 0 to 100000/, `refuses '${bad}'`);
});
