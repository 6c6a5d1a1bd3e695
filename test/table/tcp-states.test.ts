// Every cell of IPVS's TCP state tables (ip_vs_proto_tcp.c tcp_states / tcp_states_dos), the flag
// priority, and the same transitions driven through real connections (NAT: INPUT/OUTPUT, DR: INPUT_ONLY).
import t, { type Test } from 'tap';
import { TCP_TABLE_NORMAL, TCP_TABLE_SECURE, TCP_STATE_NAMES, nextTcpState, tcpEvent, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK } from '../../src/table/tcp-states.js';
import { Harness, svc, SYN, ACK, RST, SYNACK, FINACK } from './harness.js';

const COLS = ['NO', 'ES', 'SS', 'SR', 'FW', 'TW', 'CL', 'CW', 'LA', 'LI', 'SA'];
const NAME: Record<string, string> = {
  NO: 'NONE',
  ES: 'ESTABLISHED',
  SS: 'SYN_SENT',
  SR: 'SYN_RECV',
  FW: 'FIN_WAIT',
  TW: 'TIME_WAIT',
  CL: 'CLOSE',
  CW: 'CLOSE_WAIT',
  LA: 'LAST_ACK',
  LI: 'LISTEN',
  SA: 'SYNACK',
};
// Expected rows, newer-kernel generation (ACK in NONE -> ES).
const EXPECT: Record<string, string> = {
  'input syn': 'SR ES ES SR SR SR SR SR SR SR SR',
  'input fin': 'CL CW SS TW TW TW CL CW LA LI TW',
  'input ack': 'ES ES SS ES FW TW CL CW CL LI ES',
  'input rst': 'CL CL CL SR CL CL CL CL LA LI SR',
  'output syn': 'SS ES SS SR SS SS SS SS SS LI SR',
  'output fin': 'TW FW SS TW FW TW CL TW LA LI TW',
  'output ack': 'ES ES SS ES FW TW CL CW LA ES ES',
  'output rst': 'CL CL SS CL CL TW CL CL CL CL CL',
  'input-only syn': 'SR ES ES SR SR SR SR SR SR SR SR',
  'input-only fin': 'CL FW SS TW FW TW CL CW LA LI TW',
  'input-only ack': 'ES ES SS ES FW TW CL CW CL LI ES',
  'input-only rst': 'CL CL CL SR CL CL CL CL LA LI CL',
};
const SECURE_DIFF: Record<string, Record<string, string>> = {
  'input syn': { SA: 'SA' },
  'input fin': { SA: 'SA' },
  'input ack': { SR: 'SR', SA: 'SA' },
  'input rst': { SA: 'CL' },
  'output syn': { SR: 'SA', SA: 'SA' },
  'input-only syn': { NO: 'SA', FW: 'SA', TW: 'SA', CL: 'SA', CW: 'SA', LA: 'SA', LI: 'SA', SA: 'SA' },
};
const DIRS = ['input', 'output', 'input-only'];
const EVENTS: Array<[string, number]> = [
  ['syn', TCP_SYN],
  ['fin', TCP_FIN],
  ['ack', TCP_ACK],
  ['rst', TCP_RST],
];

t.test('normal and secure_tcp tables, every cell', async (t) => {
  for (const [secure, table] of [
    [false, TCP_TABLE_NORMAL],
    [true, TCP_TABLE_SECURE],
  ] as const) {
    DIRS.forEach((dir, d) => {
      for (const [ev, flag] of EVENTS) {
        const row = EXPECT[`${dir} ${ev}`]!.split(' ');
        COLS.forEach((col, s) => {
          const want = (secure && SECURE_DIFF[`${dir} ${ev}`]?.[col]) || row[s]!;
          t.equal(TCP_STATE_NAMES[nextTcpState(table, d, flag, s)], NAME[want], `${secure ? 'secure' : 'normal'} ${dir} ${ev} ${col}`);
        });
      }
    });
  }
});

t.test('flag priority RST > SYN > FIN > ACK; no flag -> CLOSE', async (t) => {
  t.equal(tcpEvent(TCP_RST | TCP_SYN | TCP_FIN | TCP_ACK), 3);
  t.equal(tcpEvent(TCP_SYN | TCP_FIN | TCP_ACK), 0);
  t.equal(tcpEvent(TCP_FIN | TCP_ACK), 1);
  t.equal(tcpEvent(TCP_ACK), 2);
  t.equal(tcpEvent(0x08), -1);
  t.equal(TCP_STATE_NAMES[nextTcpState(TCP_TABLE_NORMAL, 0, 0x08, 1)], 'CLOSE', 'PSH only in ES -> CLOSE');
});

type Step = [dir: 'in' | 'out', flags: number, state: string, active: number, inactive: number];

function drive(t: Test, forward: 'dr' | 'nat', steps: Step[], sysctls = {}): void {
  const h = new Harness();
  h.load([svc('tcp', '10.0.0.100', 80, 'rr', [{ address: '192.168.1.10', forward }])], sysctls);
  let now = 1000;
  for (const [dir, flags, state, a, i] of steps) {
    now += 10;
    const st = dir === 'in' ? h.inp(6, '1.2.3.4', 5555, '10.0.0.100', 80, flags, now) : h.out(6, '192.168.1.10', 80, '1.2.3.4', 5555, flags, now);
    t.equal(st, 0, `${dir} ${flags} hits`);
    t.equal(h.conn('1.2.3.4', 5555, now)?.state, state, `${dir} flags=0x${flags.toString(16)} -> ${state}`);
    t.same(h.counts('192.168.1.10').slice(0, 2), [a, i], `active/inactive after -> ${state}`);
  }
}

t.test('NAT connection: INPUT and OUTPUT tables with active/inactive counting', async (t) => {
  drive(t, 'nat', [
    ['in', SYN, 'SYN_RECV', 1, 0],
    ['out', SYNACK, 'SYN_RECV', 1, 0],
    ['in', ACK, 'ESTABLISHED', 1, 0],
    ['out', ACK, 'ESTABLISHED', 1, 0],
    ['in', FINACK, 'CLOSE_WAIT', 0, 1],
    ['out', FINACK, 'TIME_WAIT', 0, 1],
    ['in', ACK, 'TIME_WAIT', 0, 1],
  ]);
});

t.test('NAT connection: server closes first', async (t) => {
  drive(t, 'nat', [
    ['in', SYN, 'SYN_RECV', 1, 0],
    ['out', SYNACK, 'SYN_RECV', 1, 0],
    ['in', ACK, 'ESTABLISHED', 1, 0],
    ['out', FINACK, 'FIN_WAIT', 0, 1],
    ['in', ACK, 'FIN_WAIT', 0, 1],
    ['in', FINACK, 'TIME_WAIT', 0, 1],
  ]);
});

t.test('DR connection uses INPUT_ONLY: FIN goes to FIN_WAIT, RST to CLOSE', async (t) => {
  drive(t, 'dr', [
    ['in', SYN, 'SYN_RECV', 1, 0],
    ['in', ACK, 'ESTABLISHED', 1, 0],
    ['in', FINACK, 'FIN_WAIT', 0, 1],
    ['in', ACK, 'FIN_WAIT', 0, 1],
    ['in', RST, 'CLOSE', 0, 1],
  ]);
});

t.test('secure_tcp=3: NAT reaches ESTABLISHED only after the server ACKs; DR SYN -> SYNACK', async (t) => {
  drive(
    t,
    'nat',
    [
      ['in', SYN, 'SYN_RECV', 1, 0],
      ['in', ACK, 'SYN_RECV', 1, 0],
      ['out', SYNACK, 'SYNACK', 1, 0],
      ['in', ACK, 'SYNACK', 1, 0],
      ['out', ACK, 'ESTABLISHED', 1, 0],
    ],
    { secureTcp: 3 },
  );
  drive(
    t,
    'dr',
    [
      ['in', SYN, 'SYNACK', 1, 0],
      ['in', SYN, 'SYNACK', 1, 0],
      ['in', ACK, 'ESTABLISHED', 1, 0],
      ['in', FINACK, 'FIN_WAIT', 0, 1],
      ['in', SYN, 'SYNACK', 1, 0],
    ],
    { secureTcp: 3 },
  );
});
