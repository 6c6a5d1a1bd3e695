// Applying ipvsadm commands to the rule model: kernel semantics, messages, nothing applied on error.
import t from 'tap';
import { parseIpvsadmArgs } from '../../src/ipvs/command.js';
import { applyCommand, applyCommands, emptyRules, findService } from '../../src/ipvs/rules.js';
import { IpvsadmError } from '../../src/ipvs/errors.js';
import type { IpvsRules } from '../../src/ipvs/types.js';

const cmd = (line: string) => parseIpvsadmArgs(line.split(' ').filter(Boolean));
const apply = (r: IpvsRules, ...lines: string[]) => applyCommands(r, lines.map(cmd));
const base = () => apply(emptyRules(), '-A -t 10.0.0.1:80 -s wrr', '-a -t 10.0.0.1:80 -r 192.168.10.1 -w 2', '-a -t 10.0.0.1:80 -r 192.168.10.2 -m -w 3');

t.test('add, edit, delete', async (t) => {
  const r = base();
  t.equal(r.services.length, 1);
  t.same(
    r.services[0]!.realServers.map((d) => [d.address, d.port, d.forward, d.weight]),
    [
      ['192.168.10.1', 80, 'dr', 2],
      ['192.168.10.2', 80, 'nat', 3],
    ],
    'real servers kept in command order',
  );
  // -e replaces every attribute (weight back to the default 1 when -w is not given), position kept.
  const e = apply(r, '-e -t 10.0.0.1:80 -r 192.168.10.1 -x 10 -y 5');
  t.same(e.services[0]!.realServers[0], { address: '192.168.10.1', port: 80, forward: 'dr', weight: 1, upperThreshold: 10, lowerThreshold: 5 });
  // -E replaces the service attributes and keeps the real servers.
  const es = apply(r, '-E -t 10.0.0.1:80 -s sh -b sh-port -p 30');
  t.match(es.services[0], { scheduler: 'sh', schedFlags: ['sh-port'], persistenceTimeoutS: 30 });
  t.equal(es.services[0]!.realServers.length, 2);
  const d = apply(r, '-d -t 10.0.0.1:80 -r 192.168.10.1');
  t.same(
    d.services[0]!.realServers.map((x) => x.address),
    ['192.168.10.2'],
  );
  t.equal(apply(r, '-D -t 10.0.0.1:80').services.length, 0);
  t.equal(apply(r, '-C').services.length, 0);
  // Keys match by canonical address.
  t.equal(findService(apply(emptyRules(), '-A -t [2001:db8:0::1]:80'), { kind: 'addr', protocol: 'tcp', family: 6, address: '2001:DB8::1', port: 80 }), 0);
  t.equal(r.services[0]!.realServers.length, 2, 'the input value was not modified');
});

t.test('timeouts: 0 keeps the old value', async (t) => {
  const r = apply(emptyRules(), '--set 100 0 50');
  t.same(r.timeouts, { tcpS: 100, tcpFinS: 120, udpS: 50 });
});

const rejects: Array<[string, string[], string, number]> = [
  ['duplicate service', ['-A -t 10.0.0.1:80'], 'Service already exists', 255],
  ['unknown scheduler', ['-A -t 10.0.0.9:80 -s xyz'], 'Scheduler or persistence engine not found', 255],
  ['unknown persistence engine', ['-A -t 10.0.0.9:80 -p --pe foo'], 'Scheduler or persistence engine not found', 255],
  ['edit of a missing service', ['-E -t 10.0.0.9:80 -s rr'], 'No such service', 255],
  ['delete of a missing service', ['-D -t 10.0.0.9:80'], 'No such service', 255],
  ['zero of a missing service', ['-Z -t 10.0.0.9:80'], 'No such service', 255],
  ['real server on a missing service', ['-a -t 10.0.0.9:80 -r 192.168.10.1'], 'Service not defined', 255],
  ['duplicate real server', ['-a -t 10.0.0.1:80 -r 192.168.10.1 -w 5'], 'Destination already exists', 255],
  ['edit of a missing real server', ['-e -t 10.0.0.1:80 -r 192.168.10.7'], 'No such destination', 255],
  ['delete of a missing real server', ['-d -t 10.0.0.1:80 -r 192.168.10.7'], 'No such destination', 255],
  ['lower threshold above upper', ['-a -t 10.0.0.1:80 -r 192.168.10.7 -y 5'], 'Numerical result out of range', 255],
  ['not a unicast address', ['-a -t 10.0.0.1:80 -r 224.0.0.1'], 'Invalid operation.  Possibly wrong module version, address not unicast, ...', 255],
  ['zero address', ['-a -t 10.0.0.1:80 -r 0.0.0.0'], 'Invalid operation.  Possibly wrong module version, address not unicast, ...', 255],
  // All or nothing: the second command fails, the first is not kept either.
  ['second of two fails', ['-A -t 10.0.0.2:80', '-a -t 10.0.0.2:80 -r 192.168.10.1 -w 99999'], 'illegal weight specified', 2],
];

for (const [name, lines, message, exitCode] of rejects) {
  t.test(`rejects ${name}`, async (t) => {
    const r = base();
    const before = JSON.stringify(r);
    let err: unknown;
    let after: IpvsRules | undefined;
    try {
      after = apply(r, ...lines);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof IpvsadmError, 'throws IpvsadmError');
    t.equal((err as IpvsadmError).message, message);
    t.equal((err as IpvsadmError).exitCode, exitCode);
    t.equal(after, undefined);
    t.equal(JSON.stringify(r), before, 'nothing applied');
  });
}

t.test('model-level validation (specs built by code, not by ipvsadm)', async (t) => {
  const r = base();
  const svc = {
    key: { kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '10.0.0.5', port: 0 },
    scheduler: 'rr',
    schedFlags: [],
    persistenceTimeoutS: 0,
    netmask: '255.255.255.255',
    onePacket: false,
    persistenceEngine: '',
  };
  t.throws(() => applyCommand(r, { kind: 'add-service', service: svc }), { message: 'Zero port specified for non-persistent service' });
  t.throws(() => applyCommand(r, { kind: 'add-service', service: { ...svc, key: { ...svc.key, port: 80 }, netmask: '255.0.0.256' } }), {
    message: 'illegal virtual server persistent mask specified',
  });
  t.throws(() => applyCommand(r, { kind: 'add-service', service: { ...svc, key: { ...svc.key, port: 80 }, schedFlags: ['mh-port'] } }), {
    message: "incompatible scheduler flag `mh-port'",
  });
  const key = r.services[0]!.key;
  const dest = { address: '192.168.10.9', port: 80, forward: 'dr' as const, weight: 2147483648, upperThreshold: 0, lowerThreshold: 0 };
  t.throws(() => applyCommand(r, { kind: 'add-server', key, server: dest }), { message: 'Numerical result out of range' });
  t.doesNotThrow(() => applyCommand(r, { kind: 'add-server', key, server: { ...dest, weight: 2147483647 } }), 'kernel weights go to 2^31-1');
  t.throws(() => applyCommand(r, { kind: 'add-server', key, server: { ...dest, weight: 1, forward: 'tun', tunType: 'gue' } }), {
    message: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  });
  t.throws(() => applyCommand(r, { kind: 'add-server', key, server: { ...dest, weight: 1 } }, { maxDestsPerService: 2 }), {
    message: 'Memory allocation problem',
  });
});
