// getopt_long's reading of argv as keepalived (a C program) gets it: unique prefixes of long options,
// ambiguous ones refused naming the candidates, optional arguments only attached (-tFILE, --config-test=FILE).
import t from 'tap';
import { expandLong, normalizeGetopt, type GetoptOptions } from '../../src/cli/getopt-long.js';
import { parseKeepalivedArgs } from '../../src/cli/keepalived-args.js';

const opts: GetoptOptions = {
  'use-file': { type: 'string', short: 'f' },
  'dont-fork': { type: 'boolean', short: 'n' },
  'dont-respawn': { type: 'boolean', short: 'R' },
  'log-console': { type: 'boolean', short: 'l' },
  'config-test': { type: 'boolean', short: 't' },
};

t.test('long options: exact, unique prefix, ambiguous, unknown', async (t) => {
  t.equal(expandLong('use-file', opts), 'use-file');
  t.equal(expandLong('use', opts), 'use-file');
  t.equal(expandLong('dont-f', opts), 'dont-fork');
  t.throws(() => expandLong('dont', opts), /ambiguous.*--dont-fork.*|ambiguous.*--dont-respawn/);
  t.throws(() => expandLong('bogus', opts), /unrecognized option '--bogus'/);
});

t.test('optional arguments are taken only attached; required ones also from the next word', async (t) => {
  t.same(normalizeGetopt(['-tlog.txt', '-f', 'k.conf'], opts, ['config-test']), { args: ['-t', '-f', 'k.conf'], optional: { 'config-test': 'log.txt' } });
  t.same(normalizeGetopt(['--config-t=/tmp/x', '--use', 'k.conf'], opts, ['config-test']), {
    args: ['--config-test', '--use-file', 'k.conf'],
    optional: { 'config-test': '/tmp/x' },
  });
  t.same(normalizeGetopt(['-lnt'], opts, ['config-test']), { args: ['-lnt'], optional: { 'config-test': '' } });
  t.same(normalizeGetopt(['-lnf', 'k.conf'], opts, ['config-test']).args, ['-lnf', 'k.conf']);
  t.same(normalizeGetopt(['-lnfk.conf'], opts, ['config-test']).args, ['-lnfk.conf']);
});

t.test('keepalived command lines that keepalived 2.2.7 takes parse, with a warning for what ulvs does not do', async (t) => {
  const a = parseKeepalivedArgs(['--dont-f', '--use=/etc/k.conf', '-lDx', '-M', '--core-dump-pattern=core.%p', '-A', '/s', '--all', '-tct.log']);
  t.equal(a.dontFork, true);
  t.equal(a.file, '/etc/k.conf');
  t.equal(a.configTest, true);
  t.equal(a.configTestLog, 'ct.log');
  t.match(a.warnings.join('\n'), /-x \(--snmp\): ignored/);
  t.match(a.warnings.join('\n'), /-M \(--core-dump-pattern\): ignored/);
  t.match(a.warnings.join('\n'), /--all/);
  t.match(a.warnings.join('\n'), /-A \(--snmp-agent-socket\)/);
  const ns = parseKeepalivedArgs(['-s', 'blue']);
  t.equal(ns.namespace, 'blue');
  t.equal(ns.pidFile, '/run/keepalived/keepalived_blue/keepalived.pid', 'keepalived(8) NAMESPACES: its /run/keepalived');
  t.equal(ns.vrrpPidFile, '/run/keepalived/keepalived_blue/vrrp.pid');
  t.equal(parseKeepalivedArgs(['-s', 'blue', '-p', '/run/k.pid']).pidFile, '/run/k.pid');
  t.equal(parseKeepalivedArgs([]).pidFile, '/run/keepalived.pid');
  t.throws(() => parseKeepalivedArgs(['-s', '../etc']), /namespace name/);
  t.same(parseKeepalivedArgs(['--backend', 'none', '-n'], { backend: { type: 'string' } }).extra, { backend: 'none' });
});
