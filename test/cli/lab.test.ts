import t from 'tap';
import { UsageError } from '../../src/cli/command.js';
import { command, queuesOption } from '../../src/cli/commands/lab.js';

t.test('ulvs lab --queues N', async (t) => {
  t.equal(queuesOption(undefined), undefined, 'absent: Lab.up default (1 queue)');
  t.equal(queuesOption('1'), 1);
  t.equal(queuesOption('2'), 2);
  t.equal(queuesOption('16'), 16);
  for (const bad of ['0', '17', '-1', '1.5', 'x', '']) t.throws(() => queuesOption(bad), /--queues takes a number from 1 to 16/, `refuses '${bad}'`);
});

t.test('ulvs lab up --queues 17 stops before building anything', async (t) => {
  await t.rejects(command.run(['up', '--id', 'nolab', '--queues', '17']), UsageError);
  t.match(command.usage, /--queues N/, 'the usage names the flag');
});
