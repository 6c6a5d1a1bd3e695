/**
 * The stable error codes: every user-visible error class extends UlvsError and carries its own code,
 * the codes are unique, and none changes (scripts branch on them): this list is the contract.
 */
import t from 'tap';
import { ERROR_CODES, RuntimePathError, UlvsError, hasErrorCode } from '../../src/core/errors.js';
import { UsageError, UserError } from '../../src/cli/command.js';
import { IpvsadmError } from '../../src/ipvs/errors.js';
import { RulesTextError } from '../../src/ipvs/rules-text.js';
import { ApiError } from '../../src/api/server.js';
import { ApiCallError, ApiConnectError } from '../../src/api/client.js';
import { DaemonStartError } from '../../src/control/daemon-options.js';
import { PrivilegeError } from '../../src/util/privileges.js';
import { NativeAddonError } from '../../src/native/addon.js';
import { PcapError } from '../../src/io/pcap.js';
import { IoError } from '../../src/io/types.js';

t.test('the codes are unique and unchanged', async (t) => {
  const codes = Object.values(ERROR_CODES);
  t.equal(new Set(codes).size, codes.length, 'no two classes share a code');
  t.same(
    ERROR_CODES,
    {
      Generic: 'ULVS_ERR',
      Usage: 'ULVS_USAGE',
      User: 'ULVS_USER',
      Ipvsadm: 'ULVS_IPVSADM',
      RulesText: 'ULVS_RULES_TEXT',
      Api: 'ULVS_API',
      ApiCall: 'ULVS_API_CALL',
      ApiConnect: 'ULVS_API_CONNECT',
      DaemonStart: 'ULVS_DAEMON_START',
      RuntimePath: 'ULVS_RUNTIME_PATH',
      DaemonRunning: 'ULVS_DAEMON_RUNNING',
      NotRoot: 'ULVS_NOT_ROOT',
      NativeMissing: 'ULVS_NATIVE_MISSING',
      Pcap: 'ULVS_PCAP',
      Io: 'ULVS_IO',
    },
    'released codes never change (add new ones, never rename)',
  );
});

t.test('every error class users can see is a UlvsError with its own code and name', async (t) => {
  const cases: Array<[UlvsError, string, string]> = [
    [new UlvsError('x'), 'ULVS_ERR', 'UlvsError'],
    [new UsageError('x'), 'ULVS_USAGE', 'UsageError'],
    [new UserError('x', 3), 'ULVS_USER', 'UserError'],
    [new IpvsadmError('x', 255, 'EEXIST'), 'ULVS_IPVSADM', 'IpvsadmError'],
    [new RulesTextError('f', 3, 'bad', 2), 'ULVS_RULES_TEXT', 'RulesTextError'],
    [new ApiError('forbidden', 'x'), 'ULVS_API', 'ApiError'],
    [new ApiCallError('ipvs', 'x'), 'ULVS_API_CALL', 'ApiCallError'],
    [new ApiConnectError('x', 'ENOENT'), 'ULVS_API_CONNECT', 'ApiConnectError'],
    [new DaemonStartError('x', ['e']), 'ULVS_DAEMON_START', 'DaemonStartError'],
    [new RuntimePathError('x'), 'ULVS_RUNTIME_PATH', 'RuntimePathError'],
    [new PrivilegeError('x'), 'ULVS_NOT_ROOT', 'PrivilegeError'],
    [new NativeAddonError('x'), 'ULVS_NATIVE_MISSING', 'NativeAddonError'],
    [new PcapError('x'), 'ULVS_PCAP', 'PcapError'],
    [new IoError('x'), 'ULVS_IO', 'IoError'],
  ];
  for (const [e, code, name] of cases) {
    t.ok(e instanceof UlvsError && e instanceof Error, `${name} is a UlvsError`);
    t.equal(e.code, code, `${name} has code ${code}`);
    t.equal(e.name, name);
    t.ok(hasErrorCode(e, e.code));
  }
  const seen = new Set(cases.map(([e]) => e.code));
  t.equal(seen.size, cases.length, 'each class has a code of its own');
  const r = new RulesTextError('rules', 7, 'bad line', 2);
  t.ok(r instanceof IpvsadmError, 'a rules-file error is still an ipvsadm error');
  t.equal(r.message, 'rules:7: bad line');
  t.equal(r.exitCode, 2);
  t.equal(new IpvsadmError('x', 255, 'ESRCH').errno, 'ESRCH');
});
